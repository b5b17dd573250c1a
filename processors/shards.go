package processors

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
)

// ShardState is the state one shard goroutine owns. Only that goroutine
// calls it, so implementations need no locks.
type ShardState interface {
	// Apply applies one valid order. An error is reported to the message's
	// handler (which nacks it unless the error is permanent).
	Apply(o *events.Order, now time.Time) error
	// Advance lets processing time pass: idle tenants' windows close. An
	// error (a remote store failing) is logged; the next tick retries.
	Advance(now time.Time) error
	// Flush is called once at shutdown, after the last Apply.
	Flush(now time.Time) error
}

// BatchState is a ShardState that applies several orders in one call (one
// round trip to a remote state store instead of one per order). errs[i] is
// orders[i]'s result, as Apply would return it.
type BatchState interface {
	ShardState
	ApplyBatch(orders []*events.Order, now time.Time, errs []error)
}

// ShardsConfig sizes the shard pool. The zero value is usable.
type ShardsConfig struct {
	// Shards is the number of shard goroutines. Default 8.
	Shards int
	// QueueSize bounds each shard's queue. Default 1024.
	QueueSize int
	// TickInterval is how often shards call Advance. Default 1s. Windows
	// the watermark closes are closed when the event that moves it is
	// applied (see WindowState.ApplyBatch); the tick closes idle tenants.
	TickInterval time.Duration
	// MaxBatch bounds how many queued orders a shard applies in one call
	// when its state is a BatchState. Default 256. Orders queue while the
	// previous batch is applied, so batches grow with load and with the
	// state store's round-trip time, and stay at one order when idle.
	MaxBatch int
	// Now is the processing-time clock. Default time.Now.
	Now func() time.Time
	// Log receives shard errors. Default: discarded.
	Log zerolog.Logger
}

func (c ShardsConfig) withDefaults() ShardsConfig {
	if c.Shards <= 0 {
		c.Shards = 8
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 1024
	}
	if c.TickInterval <= 0 {
		c.TickInterval = time.Second
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 256
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// ErrShardsClosed is returned by Apply after Close.
var ErrShardsClosed = errors.New("shards closed")

// Shards hashes tenants onto a fixed set of goroutines, each owning the
// state of its tenants.
type Shards struct {
	cfg    ShardsConfig
	seed   maphash.Seed
	queues []chan *request
	states []ShardState
	stats  *Stats
	reqs   sync.Pool

	mu     sync.RWMutex // guards closed against Apply sending on a closed queue
	closed bool
	wg     sync.WaitGroup
	stop   chan struct{}
}

type request struct {
	order *events.Order
	fn    func(ShardState) // run on the owner instead of applying an order
	done  chan error
}

// NewShards starts the shard goroutines. newState builds each shard's state.
func NewShards(cfg ShardsConfig, newState func(shard int) ShardState, stats *Stats) *Shards {
	cfg = cfg.withDefaults()
	s := &Shards{cfg: cfg, seed: maphash.MakeSeed(), stats: stats, stop: make(chan struct{})}
	s.reqs.New = func() any { return &request{done: make(chan error, 1)} }
	for i := range cfg.Shards {
		q := make(chan *request, cfg.QueueSize)
		st := newState(i)
		s.queues = append(s.queues, q)
		s.states = append(s.states, st)
		s.wg.Add(1)
		go s.run(q, st)
	}
	return s
}

// ShardOf says which shard owns a tenant.
func (s *Shards) ShardOf(tenant string) int {
	return int(maphash.String(s.seed, tenant) % uint64(len(s.queues)))
}

// Apply hands o to its tenant's shard and waits until it is applied.
func (s *Shards) Apply(ctx context.Context, o *events.Order) error {
	return s.send(ctx, o.TenantID, o, nil)
}

// Do runs f on the goroutine that owns tenant's state and waits for it: the
// one safe way to touch a shard's state from outside (warm start, queries).
func (s *Shards) Do(ctx context.Context, tenant string, f func(ShardState)) error {
	return s.send(ctx, tenant, nil, f)
}

func (s *Shards) send(ctx context.Context, tenant string, o *events.Order, f func(ShardState)) error {
	r := s.reqs.Get().(*request)
	r.order, r.fn = o, f
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		s.reqs.Put(r)
		return ErrShardsClosed
	}
	select {
	case s.queues[s.ShardOf(tenant)] <- r:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		s.reqs.Put(r)
		return fmt.Errorf("queue for tenant %s: %w", tenant, ctx.Err())
	}
	// Once queued, the shard will answer; wait for it even if ctx ends so
	// the request is never reused while the shard still holds it.
	err := <-r.done
	r.order, r.fn = nil, nil
	s.reqs.Put(r)
	return err
}

func (s *Shards) run(q chan *request, st ShardState) {
	defer s.wg.Done()
	tick := time.NewTicker(s.cfg.TickInterval)
	defer tick.Stop()
	b := &shardBatch{st: st}
	b.bst, _ = st.(BatchState)
	for {
		select {
		case r, ok := <-q:
			if !ok {
				if err := st.Flush(s.cfg.Now()); err != nil {
					s.cfg.Log.Error().Err(err).Msg("flush shard")
				}
				return
			}
			if !s.serve(q, b, r) {
				if err := st.Flush(s.cfg.Now()); err != nil {
					s.cfg.Log.Error().Err(err).Msg("flush shard")
				}
				return
			}
		case <-tick.C:
			if err := st.Advance(s.cfg.Now()); err != nil {
				s.cfg.Log.Error().Err(err).Msg("advance shard")
			}
		}
	}
}

// shardBatch is a shard goroutine's scratch for applying queued orders
// together.
type shardBatch struct {
	st     ShardState
	bst    BatchState // nil: st applies one order at a time
	reqs   []*request
	orders []*events.Order
	errs   []error
}

// serve handles r and whatever else is already queued behind it, up to
// MaxBatch orders per state call, in queue order: a function request ends
// the batch before it. It reports false when the queue was closed.
func (s *Shards) serve(q chan *request, b *shardBatch, r *request) (open bool) {
	open = true
	for r != nil {
		if r.fn != nil {
			s.applyBatch(b)
			r.fn(b.st)
			r.done <- nil
		} else {
			b.reqs = append(b.reqs, r)
			if len(b.reqs) >= s.cfg.MaxBatch {
				s.applyBatch(b)
			}
		}
		r = nil
		select {
		case next, ok := <-q:
			if !ok {
				open = false
				break
			}
			r = next
		default:
		}
	}
	s.applyBatch(b)
	return open
}

func (s *Shards) applyBatch(b *shardBatch) {
	if len(b.reqs) == 0 {
		return
	}
	now := s.cfg.Now()
	b.orders, b.errs = b.orders[:0], b.errs[:0]
	for _, r := range b.reqs {
		b.orders = append(b.orders, r.order)
		b.errs = append(b.errs, nil)
	}
	if b.bst != nil {
		b.bst.ApplyBatch(b.orders, now, b.errs)
	} else {
		for i, o := range b.orders {
			b.errs[i] = b.st.Apply(o, now)
		}
	}
	for i, r := range b.reqs {
		if b.errs[i] == nil {
			s.stats.tenant(r.order.TenantID)
		}
		r.done <- b.errs[i]
		b.reqs[i], b.orders[i] = nil, nil
	}
	b.reqs = b.reqs[:0]
}

// Close stops accepting work, lets every shard finish its queue and flush,
// and waits for them (bounded by ctx).
func (s *Shards) Close(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		for _, q := range s.queues {
			close(q)
		}
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("shards did not drain: %w", ctx.Err())
	}
}
