package processors

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/analytics"
	"github.com/olympus-cloud/pulse/processors/detect"
	"github.com/olympus-cloud/pulse/processors/recommend"
	"github.com/olympus-cloud/pulse/windows"
)

// WindowStateConfig configures each shard's windows and detectors.
type WindowStateConfig struct {
	Windows windows.Config
	Detect  detect.MonitorConfig
	// Analytics configures trends, patterns, forecasts and customer
	// segments.
	Analytics analytics.Config
	// Recommend configures the bought-together model.
	Recommend recommend.Config
	// RecommendSnapshots, when set, receives a fresh snapshot of each
	// tenant whose bought-together model changed, in rounds SnapshotEvery
	// apart (default 10s), at most SnapshotBatch (default 32) per Advance
	// tick. It runs on the shard goroutine and must not block
	// (recommend.Registry.Publish).
	RecommendSnapshots func(*recommend.Snapshot)
	SnapshotEvery      time.Duration
	SnapshotBatch      int
	// RecommendPairs, when set, receives each tenant's scorable pairs at
	// the tick of its periodic recommendation insight (once per
	// Recommend.InsightPeriod), for the recommendation_pairs table. It runs
	// on the shard goroutine; it may block, like emit.
	RecommendPairs func(tenant string, rows []recommend.PairRow)
	// DetectSizes are the window sizes whose closes are scored by the
	// detectors. Default "1h" and "1d": minute windows are too noisy for
	// most tenants to alert on, and scoring them would cost a detector
	// state per tenant and size.
	DetectSizes []string
	// TenantDetectSizes, when set and non-empty for a tenant, replaces
	// DetectSizes for it (tenant settings).
	TenantDetectSizes func(tenant string) []string
	// EventTimeInsights stamps insights with their window's end instead of
	// the processing clock, so offline runs are reproducible byte for byte.
	EventTimeInsights bool
	// FlushOnClose emits every open window when the shard stops (offline
	// runs at end of input). Live runs leave it off: a window cut short by
	// a restart is not a final result, and publishing it would give two
	// different revision-1 figures the same insight id.
	FlushOnClose bool
	// Log, in distributed mode, keeps each tenant's scored windows where
	// every replica can read them, so detectors and analytics survive a
	// lease handover (see WindowLog). nil: state stays with the shard.
	Log WindowLog
	// LogDepth is how many windows the log keeps per series (default
	// DefaultLogDepth) and LogTTL how long an idle series' log lives
	// (default DefaultLogTTL).
	LogDepth int
	LogTTL   time.Duration
	// Metrics, when set, counts the shard's window closes and copies its
	// engine's counters after every Advance and Flush (windowmetrics.go).
	Metrics *WindowMetrics
	// Models, in distributed mode, shares the bought-together models
	// between replicas (see SharedModels): the holder of a tenant's lease
	// learns all the tenant's orders, whichever replica received them, and
	// a new holder continues its model. nil: each replica's model learns
	// the orders it received (processors/recommend's doc).
	Models SharedModels
	// ModelSaveEvery is how often the holder saves a model that changed
	// (default DefaultModelSaveEvery, 10s): what a new holder replays from
	// the basket log after a handover, and what a replica without the
	// tenant's lease answers /recommendations from.
	ModelSaveEvery time.Duration
}

var errSharedNeedsDistributed = errors.New("shared recommendation models need distributed windows")

// Validate reports every problem at once.
func (c WindowStateConfig) Validate() error {
	var shared error
	if c.Models != nil && c.Windows.Distributed == nil {
		shared = errSharedNeedsDistributed
	}
	return errors.Join(c.Windows.Validate(), c.Detect.Validate(), c.Analytics.Validate(), c.Recommend.Validate(), shared)
}

// WindowState is one shard's state: its tenants' windows and the detectors
// that score their closes. It hands every insight (closed windows and
// anomalies) to emit, which may block: that is how a slow output slows the
// shard instead of growing memory. Owned by one goroutine.
type WindowState struct {
	cfg     WindowStateConfig
	engine  *windows.Engine
	monitor *detect.Monitor
	biz     *analytics.Engine
	swept   int64 // hour (Unix seconds / 3600) of the last customer sweep
	rec     *recommend.Model
	recAt   int64 // recommendation insight period of the last announcement
	recPub  recPublisher
	share   *recShare // distributed mode with shared models; nil otherwise
	emit    func(events.Insight)
	stats   *Stats
	log     zerolog.Logger
	now     time.Time // processing time of the current call
	res     []windows.ApplyResult
	// orders of the current batch for the customer store, and their
	// indexes in it
	custBatch []*events.Order
	// baskets of the batch for the shared models' log (share only): one
	// payload per order, slices of basketBuf
	baskets   [][]byte
	basketBuf []byte
	custIdx   []int
	logged    map[logKey]int64 // window log: latest start scored per series
	logBuf    []byte
}

// NewWindowState builds a shard's state. emit receives every insight in
// order.
func NewWindowState(cfg WindowStateConfig, emit func(events.Insight), stats *Stats, log zerolog.Logger) (*WindowState, error) {
	if cfg.DetectSizes == nil {
		cfg.DetectSizes = []string{"1h", "1d"}
	}
	if cfg.LogDepth <= 0 {
		cfg.LogDepth = DefaultLogDepth
	}
	if cfg.LogTTL <= 0 {
		cfg.LogTTL = DefaultLogTTL
	}
	if cfg.Models != nil && cfg.Windows.Distributed == nil {
		return nil, errSharedNeedsDistributed
	}
	rec, err := recommend.New(cfg.Recommend)
	if err != nil {
		return nil, fmt.Errorf("recommendations: %w", err)
	}
	var share *recShare
	if cfg.Models != nil {
		share = newRecShare(cfg.Models)
	}
	e, err := windows.NewEngine(cfg.Windows)
	if err != nil {
		return nil, err
	}
	m, err := detect.NewMonitor(cfg.Detect)
	if err != nil {
		return nil, fmt.Errorf("detectors: %w", err)
	}
	if cfg.Analytics.ConfidencePoints == 0 {
		cfg.Analytics.ConfidencePoints = analytics.DefaultConfidencePoints
	}
	biz, err := analytics.New(cfg.Analytics)
	if err != nil {
		return nil, fmt.Errorf("analytics: %w", err)
	}
	return &WindowState{cfg: cfg, engine: e, monitor: m, biz: biz, rec: rec, share: share, emit: emit, stats: stats, log: log,
		logged: map[logKey]int64{}}, nil
}

// Recommendations exposes the shard's bought-together model. Only the
// shard goroutine may call it; readers elsewhere use its snapshots.
func (s *WindowState) Recommendations() *recommend.Model { return s.rec }

// Engine exposes the windows engine for its counters.
func (s *WindowState) Engine() *windows.Engine { return s.engine }

// Apply applies one order; see ApplyBatch.
func (s *WindowState) Apply(o *events.Order, now time.Time) error {
	var errs [1]error
	s.ApplyBatch([]*events.Order{o}, now, errs[:])
	return errs[0]
}

// ApplyBatch applies orders in order with one call to the windows' store
// (one round trip in Redis mode), then closes the windows their tenants'
// watermarks have passed, so a result does not wait for the next tick.
// errs[i] is orders[i]'s result. A cap breach (too many tenants, too many
// windows for a tenant) is logged and counted and the order still counts
// as applied: its row is written, and retrying cannot make room. A store
// failure is every order's error, so all of them are redelivered (dedup
// makes the retry safe).
func (s *WindowState) ApplyBatch(orders []*events.Order, now time.Time, errs []error) {
	s.res = slices.Grow(s.res[:0], len(orders))[:len(orders)]
	if err := s.engine.ApplyBatchAttached(orders, s.basketsOf(orders), now, s.res); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return
	}
	s.now = now
	for i, o := range orders {
		errs[i] = nil
		switch r := &s.res[i]; {
		case r.Err == nil:
		case errors.Is(r.Err, windows.ErrTooManyTenants), errors.Is(r.Err, windows.ErrTooManyWindows), errors.Is(r.Err, windows.ErrInvalidEvent):
			s.stats.capRejected.Add(1)
			s.log.Warn().Str("tenant_id", o.TenantID).Str("event_id", o.EventID).Err(r.Err).Msg("event not windowed")
		default:
			errs[i] = r.Err
		}
	}
	s.observe(orders, s.res, now, errs)
	for i, o := range orders {
		if i > 0 && orders[i-1].TenantID == o.TenantID {
			continue
		}
		if err := s.engine.CloseReady(o.TenantID, s.closed); err != nil {
			// The events are applied; the next Advance retries the close.
			s.log.Warn().Str("tenant_id", o.TenantID).Err(err).Msg("close windows")
		}
	}
}

// basketsOf returns, with shared models, each order's basket payload for
// the Remote's log (every event carries its basket there; nil for an
// order that teaches a model nothing), else nil.
func (s *WindowState) basketsOf(orders []*events.Order) [][]byte {
	if s.share == nil {
		return nil
	}
	if cap(s.basketBuf) > 1<<20 {
		s.basketBuf = nil // a batch of huge baskets does not pin its buffer
	}
	s.baskets, s.basketBuf = s.baskets[:0], s.basketBuf[:0]
	for _, o := range orders {
		n := len(s.basketBuf)
		// A growth leaves earlier payloads on the old array, which stays
		// valid: nothing writes behind them.
		s.basketBuf = s.rec.AppendBasket(s.basketBuf, o)
		var b []byte
		if len(s.basketBuf) > n {
			b = s.basketBuf[n:len(s.basketBuf):len(s.basketBuf)]
		}
		s.baskets = append(s.baskets, b)
	}
	return s.baskets
}

// ApplyOrder applies one order to the windows and, unless it is a
// duplicate, to the analytics and the recommendations, and says what the
// windows did with it.
func (s *WindowState) ApplyOrder(o *events.Order, now time.Time) (windows.ApplyResult, error) {
	res, err := s.engine.Apply(o, now)
	if err != nil {
		return res, err
	}
	var errs [1]error
	s.observe([]*events.Order{o}, []windows.ApplyResult{res}, now, errs[:])
	return res, errs[0]
}

// observe hands the orders the windows applied (results[i].Err nil) to the
// recommendations, unless duplicates, and to the customer store in one
// call. A shared customer store dedups on its own, so it takes the orders
// the windows saw already too: one whose customer update failed is applied
// when it is redelivered. A customer store failure is the error of every
// order handed to it.
func (s *WindowState) observe(orders []*events.Order, results []windows.ApplyResult, now time.Time, errs []error) {
	s.custBatch, s.custIdx = s.custBatch[:0], s.custIdx[:0]
	shared := s.biz.SharedCustomers()
	for i, o := range orders {
		r := &results[i]
		if r.Err != nil {
			continue
		}
		if !r.Duplicate && s.share == nil { // shared models learn from the Remote's log
			s.rec.Observe(o)
		}
		if !r.Duplicate || shared {
			s.custBatch = append(s.custBatch, o)
			s.custIdx = append(s.custIdx, i)
		}
	}
	if len(s.custBatch) == 0 {
		return
	}
	rs, err := s.biz.ObserveOrders(s.custBatch, now)
	s.emitResults(rs)
	if err != nil {
		for _, i := range s.custIdx {
			errs[i] = fmt.Errorf("analytics of tenant %s event %s: %w", orders[i].TenantID, orders[i].EventID, err)
		}
	}
	clear(s.custBatch)
}

// Stats are the windows engine's counters.
func (s *WindowState) Stats() windows.Stats { return s.engine.Stats() }

// Advance closes what processing time now allows and scores the closes.
func (s *WindowState) Advance(now time.Time) error {
	defer s.cfg.Metrics.snapshot(s)
	s.now = now
	if err := s.engine.Advance(now, s.closed); err != nil {
		return fmt.Errorf("advance windows: %w", err)
	}
	// Customers drift into At_Risk by silence, not by an order: sweep once
	// an hour of processing time (a shared store sweeps a bounded step on
	// every tick, starting each tenant's pass hourly itself).
	var sweepErr error
	if h := now.Unix() / 3600; h != s.swept || s.biz.SharedCustomers() {
		s.swept = h
		rs, err := s.biz.Sweep(now)
		s.emitResults(rs)
		sweepErr = err
	}
	var recErr error
	if s.share != nil {
		recErr = s.syncModels()
	}
	if p := now.UnixNano() / int64(s.rec.Config().InsightPeriod); p != s.recAt {
		s.recAt = p
		for _, t := range s.rec.Tenants() {
			if !s.holdsLease(t) {
				continue
			}
			for _, in := range s.rec.Insights(t, now) {
				s.emit(in)
			}
			s.exportPairs(t, now)
			if s.share != nil {
				s.markAnnounced(t)
			}
		}
	}
	if s.share != nil {
		recErr = errors.Join(recErr, s.saveModels(now))
	}
	s.publishSnapshots(now)
	return errors.Join(sweepErr, recErr)
}

// Flush emits every open window when FlushOnClose is set.
func (s *WindowState) Flush(now time.Time) error {
	defer s.cfg.Metrics.snapshot(s)
	if !s.cfg.FlushOnClose {
		return nil
	}
	s.now = now
	return s.engine.Flush(s.closed)
}

func (s *WindowState) closed(c windows.Closed) {
	at := s.now
	if s.cfg.EventTimeInsights {
		at = c.Window.End
	}
	s.cfg.Metrics.closedWindow(&c)
	in := c.Insight(at)
	in.Confidence = 1 // measured, not estimated
	s.emit(in)
	logged := c.Revision == 1 && s.logs(c.TenantID, c.Window.Size)
	if logged {
		if err := s.catchUp(c.TenantID, c.Window, c.Metrics.Currency); err != nil {
			s.stats.windowLogErrors.Add(1)
			s.log.Warn().Str("tenant_id", c.TenantID).Err(err).Msg("window log: scoring without catching up")
		}
	}
	s.emitResults(s.biz.ObserveWindow(c.TenantID, c.Window, c.Metrics, at))
	// Corrections revise figures an alert may already have used; the
	// detectors see each window once, in order, so history stays causal.
	if c.Revision == 1 && slices.Contains(s.detectSizes(c.TenantID), c.Window.Size) {
		for _, in := range s.monitor.Observe(c.TenantID, c.Window, c.Metrics, at) {
			// The baseline's points are complete by construction (every
			// window of the series closes), so confidence follows the
			// point count.
			in.Confidence = analytics.Confidence(in.History, 1, s.cfg.Analytics.ConfidencePoints)
			s.emit(in)
		}
	}
	if logged {
		if err := s.record(c.TenantID, c.Window, c.Metrics, at); err != nil {
			s.stats.windowLogErrors.Add(1)
			s.log.Warn().Str("tenant_id", c.TenantID).Err(err).Msg("window log: window not logged")
		}
	}
}

// holdsLease says whether this replica holds tenant's closing lease; true
// without one (in-memory state). In distributed mode only the lease holder
// announces a tenant's recommendations: one insight per id. With shared
// models it is the one replica whose model learned all the tenant's
// orders; without, each replica's model learned those it received.
func (s *WindowState) holdsLease(tenant string) bool {
	d := s.cfg.Windows.Distributed
	if d == nil {
		return true
	}
	_, ok := d.Leases.Owned(windows.ShardOf(tenant, d.Shards))
	return ok
}

func (s *WindowState) detectSizes(tenant string) []string {
	if s.cfg.TenantDetectSizes != nil {
		if sizes := s.cfg.TenantDetectSizes(tenant); len(sizes) > 0 {
			return sizes
		}
	}
	return s.cfg.DetectSizes
}

// Seed teaches the detectors one past window of a tenant without alerting
// (warm start from order history); windows of a series must come oldest
// first. Call it before the shard takes events.
func (s *WindowState) Seed(tenant string, w events.Window, m events.WindowMetrics) bool {
	return s.monitor.Seed(tenant, w, m)
}

func (s *WindowState) emitResults(rs []analytics.Result) {
	for _, r := range rs {
		in := r.Insight
		in.Confidence = r.Confidence
		s.emit(in)
	}
}
