package processors

import (
	"context"
	"errors"
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/recommend"
)

// insightPublisher delivers an insight to its topic and returns once it is
// durable there.
type insightPublisher interface {
	Publish(ctx context.Context, in events.Insight) error
}

// insightWriter records an insight for analysts (BigQuery tenant_metrics or
// insights table) and returns once it is written.
type insightWriter interface {
	WriteInsight(ctx context.Context, in events.Insight) error
}

// pairWriter records a tenant's recommendation pairs for analysts (the
// recommendation_pairs table). A row sink may implement it besides
// insightWriter. It returns one error per row; a nil slice means every row
// was written.
type pairWriter interface {
	WritePairs(ctx context.Context, rows []recommend.PairRow) []error
}

// OutputsConfig sizes the output stage. The zero value is usable.
type OutputsConfig struct {
	// Workers publish in parallel; one tenant's insights always go through
	// the same worker, in order. Default 16.
	Workers int
	// QueueSize bounds each worker's queue; a full queue blocks the shard
	// that emits. Default 1024.
	QueueSize int
	// MaxBackoff caps the wait between retries of a failed delivery.
	// Default 10s. Retries go on until shutdown.
	MaxBackoff time.Duration
	// RowsInFlight bounds the row writes under way at once. A row write
	// waits for its batch to flush (up to the batch age), so rows are written
	// concurrently, off the publishing path. Default 1024.
	RowsInFlight int
}

// Outputs delivers insights to the publisher and, when set, the writer,
// retrying transient failures with exponential backoff and jitter. Observers
// see each insight once it is delivered (the API's live stream). Safe for
// concurrent use.
type Outputs struct {
	cfg    OutputsConfig
	pub    insightPublisher
	rows   insightWriter
	pairs  pairWriter // nil: the row sink takes no pairs
	seed   maphash.Seed
	queues []chan outItem
	wg     sync.WaitGroup
	// rowSlots bounds concurrent row writes; rowsWG waits for them.
	rowSlots chan struct{}
	rowsWG   sync.WaitGroup
	ctx      context.Context
	cancel   context.CancelFunc
	log      zerolog.Logger

	mu        sync.RWMutex
	observers []func(events.Insight)

	Published atomic.Int64
	Retries   atomic.Int64
	Lost      atomic.Int64 // still undelivered when shutdown gave up
	byKind    sync.Map     // kindSeverity -> *atomic.Int64

	// PairRows counts recommendation pair rows written, PairRowsLost those
	// refused for good or still unwritten when shutdown gave up.
	PairRows     atomic.Int64
	PairRowsLost atomic.Int64
	// failed tries of each step, retried or lost (outputmetrics.go)
	publishErrors, rowErrors atomic.Int64
}

type kindSeverity struct {
	kind     events.Kind
	severity events.Severity
}

// NewOutputs starts the workers. rows may be nil; when it also writes
// recommendation pairs (WritePairs), EmitPairs goes through it.
func NewOutputs(cfg OutputsConfig, pub insightPublisher, rows insightWriter, log zerolog.Logger) *Outputs {
	if cfg.Workers <= 0 {
		cfg.Workers = 16
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 1024
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 10 * time.Second
	}
	if cfg.RowsInFlight <= 0 {
		cfg.RowsInFlight = 1024
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := &Outputs{cfg: cfg, pub: pub, rows: rows, seed: maphash.MakeSeed(), ctx: ctx, cancel: cancel, log: log,
		rowSlots: make(chan struct{}, cfg.RowsInFlight)}
	o.pairs, _ = rows.(pairWriter)
	for range cfg.Workers {
		q := make(chan outItem, cfg.QueueSize)
		o.queues = append(o.queues, q)
		o.wg.Add(1)
		go o.work(q)
	}
	return o
}

// Observe registers f to see every delivered insight. f must not block.
func (o *Outputs) Observe(f func(events.Insight)) {
	o.mu.Lock()
	o.observers = append(o.observers, f)
	o.mu.Unlock()
}

// outItem is an insight to deliver, or a Sync marker (synced set).
type outItem struct {
	in     events.Insight
	synced chan struct{}
}

func (o *Outputs) queueOf(tenant string) chan outItem {
	return o.queues[maphash.String(o.seed, tenant)%uint64(len(o.queues))]
}

// Emit queues an insight, blocking while its worker's queue is full.
func (o *Outputs) Emit(in events.Insight) {
	select {
	case o.queueOf(in.TenantID) <- outItem{in: in}:
	case <-o.ctx.Done():
		o.Lost.Add(1)
	}
}

// errShuttingDown is Sync's answer once shutdown gave up on deliveries.
var errShuttingDown = errors.New("outputs: shutting down")

// Sync returns once every insight of tenant emitted before it has been
// published (its row write may still be under way), or with an error when
// shutdown gave up first. Distributed closing calls it before the fenced
// commit that records a step's results as emitted: a replica killed after
// the commit has lost nothing, and one killed before it has the step
// closed again by the next lease holder (the same ids; where events
// arrived in between, a correction follows).
func (o *Outputs) Sync(tenant string) error {
	done := make(chan struct{})
	select {
	case o.queueOf(tenant) <- outItem{synced: done}:
	case <-o.ctx.Done():
		return errShuttingDown
	}
	select {
	case <-done:
		return nil
	case <-o.ctx.Done():
		return errShuttingDown
	}
}

func (o *Outputs) work(q chan outItem) {
	defer o.wg.Done()
	for it := range q {
		if it.synced != nil {
			close(it.synced)
			continue
		}
		o.deliver(it.in)
	}
}

// deliver publishes in (in order, per tenant), then hands its row write to
// the bounded pool and tells the observers.
func (o *Outputs) deliver(in events.Insight) {
	if !o.retry(in, o.publish) {
		return
	}
	if o.rows != nil {
		select {
		case o.rowSlots <- struct{}{}:
		case <-o.ctx.Done():
			o.Lost.Add(1)
			return
		}
		o.rowsWG.Add(1)
		go func() {
			defer func() { <-o.rowSlots; o.rowsWG.Done() }()
			o.retry(in, o.writeRow)
		}()
	}
	o.Published.Add(1)
	c, _ := o.byKind.LoadOrStore(kindSeverity{in.Kind, in.Severity}, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
	o.mu.RLock()
	for _, f := range o.observers {
		f(in)
	}
	o.mu.RUnlock()
}

// retry runs step until it succeeds (true) or shutdown gives up (false,
// counted lost), backing off exponentially with jitter between tries.
func (o *Outputs) retry(in events.Insight, step func(context.Context, events.Insight) error) bool {
	wait := 50 * time.Millisecond
	for {
		err := step(o.ctx, in)
		if err == nil {
			return true
		}
		if o.ctx.Err() != nil {
			o.Lost.Add(1)
			o.log.Error().Str("tenant_id", in.TenantID).Str("insight_id", in.InsightID).Err(err).Msg("insight lost at shutdown")
			return false
		}
		o.Retries.Add(1)
		o.log.Warn().Str("tenant_id", in.TenantID).Str("insight_id", in.InsightID).Err(err).Dur("retry_in", wait).Msg("insight delivery failed")
		select {
		case <-time.After(wait/2 + rand.N(wait/2+1)):
		case <-o.ctx.Done():
		}
		wait = min(2*wait, o.cfg.MaxBackoff)
	}
}

// EmitPairs writes a tenant's recommendation pairs through the row sink,
// off the caller's goroutine: it takes one slot of the bounded row pool
// (blocking while the pool is full, as insight rows do) and returns. Rows
// that fail transiently are retried with backoff until written or shutdown
// gives up; rows refused for good are logged and counted lost. Without a
// pair writer it does nothing.
func (o *Outputs) EmitPairs(tenant string, rows []recommend.PairRow) {
	if o.pairs == nil || len(rows) == 0 {
		return
	}
	select {
	case o.rowSlots <- struct{}{}:
	case <-o.ctx.Done():
		o.PairRowsLost.Add(int64(len(rows)))
		return
	}
	o.rowsWG.Add(1)
	go func() {
		defer func() { <-o.rowSlots; o.rowsWG.Done() }()
		o.writePairs(tenant, rows)
	}()
}

func (o *Outputs) writePairs(tenant string, rows []recommend.PairRow) {
	wait := 50 * time.Millisecond
	for {
		errs := o.pairs.WritePairs(o.ctx, rows)
		if errs == nil {
			o.PairRows.Add(int64(len(rows)))
			return
		}
		var retry []recommend.PairRow
		var last error
		for i, err := range errs {
			var p permanent
			switch {
			case err == nil:
				o.PairRows.Add(1)
			case errors.As(err, &p) && p.Permanent():
				o.PairRowsLost.Add(1)
				o.log.Error().Str("tenant_id", tenant).Str("insert_id", rows[i].InsertID()).Err(err).Msg("recommendation pair row refused")
			default:
				retry, last = append(retry, rows[i]), err
			}
		}
		if len(retry) == 0 {
			return
		}
		if o.ctx.Err() != nil {
			o.PairRowsLost.Add(int64(len(retry)))
			o.log.Error().Str("tenant_id", tenant).Int("rows", len(retry)).Err(last).Msg("recommendation pair rows lost at shutdown")
			return
		}
		o.Retries.Add(1)
		o.log.Warn().Str("tenant_id", tenant).Int("rows", len(retry)).Err(last).Dur("retry_in", wait).Msg("recommendation pair rows failed; retrying")
		select {
		case <-time.After(wait/2 + rand.N(wait/2+1)):
		case <-o.ctx.Done():
		}
		wait = min(2*wait, o.cfg.MaxBackoff)
		rows = retry
	}
}

// PublishedBy returns delivered insights per kind and severity.
func (o *Outputs) PublishedBy() map[events.Kind]map[events.Severity]int64 {
	out := map[events.Kind]map[events.Severity]int64{}
	o.byKind.Range(func(k, v any) bool {
		ks := k.(kindSeverity)
		if out[ks.kind] == nil {
			out[ks.kind] = map[events.Severity]int64{}
		}
		out[ks.kind][ks.severity] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

// Close delivers what is queued, waiting at most until ctx ends; whatever
// is left then is counted as lost.
func (o *Outputs) Close(ctx context.Context) error {
	for _, q := range o.queues {
		close(q)
	}
	done := make(chan struct{})
	go func() { o.wg.Wait(); o.rowsWG.Wait(); close(done) }()
	select {
	case <-done:
		o.cancel()
		return nil
	case <-ctx.Done():
		o.cancel() // pending retries give up; workers count the rest lost
		<-done
		return errors.New("outputs: shutdown timed out with insights undelivered")
	}
}
