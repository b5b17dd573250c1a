package batch

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrClosed is returned by Submit after Close has begun.
var ErrClosed = errors.New("batcher closed")

// Policy says when a batch is sealed: at MaxRows items, when the next item
// would take it past MaxBytes, or MaxAge after its first item arrived.
type Policy struct {
	MaxRows  int
	MaxBytes int
	MaxAge   time.Duration
	// Workers is how many batches may flush at once (default 1).
	Workers int
}

// FlushFunc writes items and returns one error per item (nil: written). A nil
// slice means every item was written. ctx is cancelled only when Close runs
// out of time.
type FlushFunc[T any] func(ctx context.Context, items []T) []error

type request[T any] struct {
	item T
	size int
	done chan error
}

// Batcher batches items across goroutines. Create it with New; it is safe
// for concurrent use.
type Batcher[T any] struct {
	policy Policy
	flush  FlushFunc[T]

	mu     sync.RWMutex // guards closed against Submit sending on in
	closed bool

	in        chan *request[T]
	sealed    chan []*request[T]
	closing   chan struct{}
	closeOnce sync.Once
	done      chan struct{} // closed when the owner and all workers exit

	ctx    context.Context // for flushes; cancelled when Close runs out of time
	cancel context.CancelFunc
}

// New starts a batcher. Zero policy fields take small safe values.
func New[T any](p Policy, flush FlushFunc[T]) *Batcher[T] {
	if p.MaxRows <= 0 {
		p.MaxRows = 1
	}
	if p.MaxBytes <= 0 {
		p.MaxBytes = 1 << 20
	}
	if p.MaxAge <= 0 {
		p.MaxAge = time.Second
	}
	if p.Workers <= 0 {
		p.Workers = 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Batcher[T]{
		policy:  p,
		flush:   flush,
		in:      make(chan *request[T], p.MaxRows),
		sealed:  make(chan []*request[T]),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
		ctx:     ctx,
		cancel:  cancel,
	}
	var wg sync.WaitGroup
	wg.Add(p.Workers)
	for range p.Workers {
		go func() {
			defer wg.Done()
			b.work()
		}()
	}
	go func() {
		b.own()
		wg.Wait()
		close(b.done)
	}()
	return b
}

// Submit adds item (size bytes when encoded) to the pending batch and waits
// until that batch has been flushed, returning the item's own outcome. If
// ctx ends first Submit returns ctx.Err(); the item may still be written.
func (b *Batcher[T]) Submit(ctx context.Context, item T, size int) error {
	r := &request[T]{item: item, size: size, done: make(chan error, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return ErrClosed
	}
	select {
	case b.in <- r:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SubmitAll adds items (sizes[i] bytes each) in order and waits until every
// batch holding one has been flushed, returning each item's outcome (nil
// slice: all written). It is Submit for many items from one goroutine:
// they join batches as fast as the batcher takes them, instead of one
// batch age per item. If ctx ends first, the items not yet taken fail with
// ctx.Err() and the others may still be written.
func (b *Batcher[T]) SubmitAll(ctx context.Context, items []T, sizes []int) []error {
	reqs := make([]*request[T], 0, len(items))
	errs := make([]error, len(items))
	failed := false
	b.mu.RLock()
	for i, item := range items {
		if b.closed {
			errs[i], failed = ErrClosed, true
			continue
		}
		r := &request[T]{item: item, size: sizes[i], done: make(chan error, 1)}
		select {
		case b.in <- r:
			reqs = append(reqs, r)
		case <-ctx.Done():
			errs[i], failed = ctx.Err(), true
		}
	}
	b.mu.RUnlock()
	j := 0
	for i := range items {
		if errs[i] != nil {
			continue
		}
		select {
		case errs[i] = <-reqs[j].done:
		case <-ctx.Done():
			errs[i] = ctx.Err()
		}
		failed = failed || errs[i] != nil
		j++
	}
	if !failed {
		return nil
	}
	return errs
}

// Close stops accepting items, flushes what is pending and waits for every
// flush to finish. If ctx ends first, in-flight flushes are cancelled (their
// submitters get an error, so their messages are redelivered) and Close
// returns ctx.Err() once they have returned.
func (b *Batcher[T]) Close(ctx context.Context) error {
	b.closeOnce.Do(func() {
		// Taking the lock waits for Submits blocked on a full input, which
		// wait for flushes; do it aside so ctx still bounds Close.
		go func() {
			b.mu.Lock()
			b.closed = true
			b.mu.Unlock()
			close(b.closing)
		}()
	})
	select {
	case <-b.done:
		b.cancel()
		return nil
	case <-ctx.Done():
		b.cancel()
		<-b.done
		return ctx.Err()
	}
}

// own is the single owner of the pending batch.
func (b *Batcher[T]) own() {
	defer close(b.sealed)
	var (
		pending []*request[T]
		bytes   int
		timer   = time.NewTimer(time.Hour)
		timerC  <-chan time.Time
	)
	timer.Stop()
	seal := func() {
		if len(pending) == 0 {
			return
		}
		timer.Stop()
		timerC = nil
		b.sealed <- pending
		pending, bytes = make([]*request[T], 0, len(pending)), 0
	}
	add := func(r *request[T]) {
		if len(pending) > 0 && bytes+r.size > b.policy.MaxBytes {
			seal()
		}
		pending = append(pending, r)
		bytes += r.size
		if len(pending) == 1 {
			timer.Reset(b.policy.MaxAge)
			timerC = timer.C
		}
		if len(pending) >= b.policy.MaxRows || bytes >= b.policy.MaxBytes {
			seal()
		}
	}
	for {
		select {
		case r := <-b.in:
			add(r)
		case <-timerC:
			seal()
		case <-b.closing:
			// Submit checks closed under the lock before sending, so once
			// closing is closed nothing new arrives: drain and go.
			for {
				select {
				case r := <-b.in:
					add(r)
					continue
				default:
				}
				break
			}
			seal()
			return
		}
	}
}

func (b *Batcher[T]) work() {
	for reqs := range b.sealed {
		items := make([]T, len(reqs))
		for i, r := range reqs {
			items[i] = r.item
		}
		errs := b.flush(b.ctx, items)
		for i, r := range reqs {
			var err error
			if errs != nil {
				err = errs[i]
			}
			r.done <- err
		}
	}
}
