package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"cloud.google.com/go/pubsub/v2"
)

// bulkOptions tune a bulkPublisher. The zero value is the default.
type bulkOptions struct {
	// MaxInFlight bounds messages handed to the client whose results are not
	// in yet; Publish blocks beyond it. Default 10,000.
	MaxInFlight int
	// OrderByTenant sets the ordering key to the tenant_id attribute. Off by
	// default: an ordering key is capped at 1 MB/s, and Pulse does not
	// require ordered input.
	OrderByTenant bool
	// Batch settings passed to the client. Defaults: 1,000 messages (the
	// service's limit per request), 9 MB, 10 ms.
	CountThreshold int
	ByteThreshold  int
	DelayThreshold time.Duration
}

// maxPublishErrors is how many distinct failures Close reports in full.
const maxPublishErrors = 10

// bulkStats are a bulkPublisher's counts so far.
type bulkStats struct {
	Sent      int64 // handed to the client
	Published int64 // confirmed by the server
	Failed    int64
	Bytes     int64 // payload bytes confirmed
}

// bulkPublisher publishes many messages to one topic fast: the client
// batches them, and a collector goroutine reads the results in the
// background instead of waiting on each one (about 11 ms a message against
// pstest, FACTS.md). Publish and Close are for one goroutine; Stats may be
// called from any.
type bulkPublisher struct {
	pub      *pubsub.Publisher
	byTenant bool
	inflight chan inflight
	done     chan struct{}

	sent, published, failed, bytes atomic.Int64
	mu                             sync.Mutex
	errs                           []error
}

type inflight struct {
	res  *pubsub.PublishResult
	size int
}

// newBulkPublisher publishes to topic (an id or a full name) through client.
// Close it to flush and learn whether everything was published.
func newBulkPublisher(client *pubsub.Client, topic string, o bulkOptions) *bulkPublisher {
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 10_000
	}
	if o.CountThreshold <= 0 {
		o.CountThreshold = pubsub.MaxPublishRequestCount
	}
	if o.ByteThreshold <= 0 {
		o.ByteThreshold = 9e6
	}
	if o.DelayThreshold <= 0 {
		o.DelayThreshold = 10 * time.Millisecond
	}
	pub := client.Publisher(topic)
	pub.PublishSettings.CountThreshold = o.CountThreshold
	pub.PublishSettings.ByteThreshold = o.ByteThreshold
	pub.PublishSettings.DelayThreshold = o.DelayThreshold
	// Our in-flight channel is the bound; the client's own flow control
	// would only duplicate it.
	pub.PublishSettings.FlowControlSettings.LimitExceededBehavior = pubsub.FlowControlIgnore
	pub.EnableMessageOrdering = o.OrderByTenant
	b := &bulkPublisher{
		pub:      pub,
		byTenant: o.OrderByTenant,
		inflight: make(chan inflight, o.MaxInFlight),
		done:     make(chan struct{}),
	}
	go b.collect()
	return b
}

// collect reads results in publish order. Every result resolves: the
// client fails a publish after its Timeout (60 s by default).
func (b *bulkPublisher) collect() {
	defer close(b.done)
	for f := range b.inflight {
		if _, err := f.res.Get(context.Background()); err != nil {
			b.failed.Add(1)
			b.mu.Lock()
			if len(b.errs) < maxPublishErrors {
				b.errs = append(b.errs, err)
			}
			b.mu.Unlock()
			continue
		}
		b.published.Add(1)
		b.bytes.Add(int64(f.size))
	}
}

// Publish hands one message to the client. It blocks only while
// MaxInFlight results are outstanding, and returns ctx's error if ctx ends
// first. Failures are counted and reported by Close.
func (b *bulkPublisher) Publish(ctx context.Context, data []byte, attrs map[string]string) error {
	m := &pubsub.Message{Data: data, Attributes: attrs}
	if b.byTenant {
		m.OrderingKey = attrs["tenant_id"]
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	res := b.pub.Publish(ctx, m)
	select {
	case b.inflight <- inflight{res: res, size: len(data)}:
		b.sent.Add(1)
		return nil
	case <-ctx.Done():
		// The message may still go out; its result is no longer watched.
		return ctx.Err()
	}
}

// Stats are the counts so far.
func (b *bulkPublisher) Stats() bulkStats {
	return bulkStats{Sent: b.sent.Load(), Published: b.published.Load(), Failed: b.failed.Load(), Bytes: b.bytes.Load()}
}

// Close flushes, waits for every result (or ctx), stops the publisher and
// returns the final counts, with an error naming the failures if any.
func (b *bulkPublisher) Close(ctx context.Context) (bulkStats, error) {
	b.pub.Flush()
	close(b.inflight)
	var err error
	select {
	case <-b.done:
	case <-ctx.Done():
		err = fmt.Errorf("publish results still outstanding: %w", ctx.Err())
	}
	b.pub.Stop()
	s := b.Stats()
	if s.Failed > 0 {
		b.mu.Lock()
		err = errors.Join(err, fmt.Errorf("%d of %d messages failed to publish, first errors: %w", s.Failed, s.Sent, errors.Join(b.errs...)))
		b.mu.Unlock()
	}
	return s, err
}
