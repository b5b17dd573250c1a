package processors

import (
	"context"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// drainingSubscriber wraps a subscriber so that closing it finishes the
// messages already handed to handlers before the underlying subscriber
// closes. (The Pub/Sub adapter nacks every unacked message on Close, which
// would turn a clean shutdown into a burst of redeliveries.)
type drainingSubscriber struct {
	message.Subscriber
	timeout time.Duration

	mu       sync.Mutex
	closing  bool
	inflight sync.WaitGroup
	stop     chan struct{}
	once     sync.Once
}

func newDrainingSubscriber(s message.Subscriber, timeout time.Duration) *drainingSubscriber {
	return &drainingSubscriber{Subscriber: s, timeout: timeout, stop: make(chan struct{})}
}

func (d *drainingSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	in, err := d.Subscriber.Subscribe(ctx, topic)
	if err != nil {
		return nil, err
	}
	out := make(chan *message.Message)
	go func() {
		defer close(out)
		for {
			select {
			case <-d.stop:
				return
			case msg, ok := <-in:
				if !ok {
					return
				}
				d.mu.Lock()
				if d.closing {
					d.mu.Unlock()
					msg.Nack() // not started: let Pub/Sub redeliver it
					continue
				}
				d.inflight.Add(1)
				d.mu.Unlock()
				go func() {
					defer d.inflight.Done()
					select {
					case <-msg.Acked():
					case <-msg.Nacked():
					}
				}()
				select {
				case out <- msg:
				case <-d.stop:
					msg.Nack()
					return
				}
			}
		}
	}()
	return out, nil
}

// Close stops handing out messages, waits (bounded) for the in-flight ones
// to be acked or nacked, then closes the underlying subscriber.
func (d *drainingSubscriber) Close() error {
	d.mu.Lock()
	d.closing = true
	d.mu.Unlock()
	d.once.Do(func() { close(d.stop) })
	done := make(chan struct{})
	go func() { d.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d.timeout):
	}
	return d.Subscriber.Close()
}
