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
	// Metrics, when set, counts the shard's window closes and copies its
	// engine's counters after every Advance and Flush (windowmetrics.go).
	Metrics *WindowMetrics
}

// Validate reports every problem at once.
func (c WindowStateConfig) Validate() error {
	return errors.Join(c.Windows.Validate(), c.Detect.Validate(), c.Analytics.Validate(), c.Recommend.Validate())
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
	emit    func(events.Insight)
	stats   *Stats
	log     zerolog.Logger
	now     time.Time // processing time of the current call
}

// NewWindowState builds a shard's state. emit receives every insight in
// order.
func NewWindowState(cfg WindowStateConfig, emit func(events.Insight), stats *Stats, log zerolog.Logger) (*WindowState, error) {
	if cfg.DetectSizes == nil {
		cfg.DetectSizes = []string{"1h", "1d"}
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
	rec, err := recommend.New(cfg.Recommend)
	if err != nil {
		return nil, fmt.Errorf("recommendations: %w", err)
	}
	return &WindowState{cfg: cfg, engine: e, monitor: m, biz: biz, rec: rec, emit: emit, stats: stats, log: log}, nil
}

// Recommendations exposes the shard's bought-together model. Only the
// shard goroutine may call it; readers elsewhere use its snapshots.
func (s *WindowState) Recommendations() *recommend.Model { return s.rec }

// Engine exposes the windows engine for its counters.
func (s *WindowState) Engine() *windows.Engine { return s.engine }

// Apply applies one order. A cap breach (too many tenants, too many windows
// for a tenant) is logged and counted and the message is still acked: its
// row is written, and retrying cannot make room. Any other error (a remote
// store failing) is returned so the message is redelivered.
func (s *WindowState) Apply(o *events.Order, now time.Time) error {
	_, err := s.ApplyOrder(o, now)
	switch {
	case err == nil:
	case errors.Is(err, windows.ErrTooManyTenants), errors.Is(err, windows.ErrTooManyWindows), errors.Is(err, windows.ErrInvalidEvent):
		s.stats.capRejected.Add(1)
		s.log.Warn().Str("tenant_id", o.TenantID).Str("event_id", o.EventID).Err(err).Msg("event not windowed")
		return nil
	default:
		return err
	}
	return nil
}

// ApplyOrder applies one order to the windows and, unless it is a
// duplicate, to the analytics and the recommendations, and says what the
// windows did with it.
func (s *WindowState) ApplyOrder(o *events.Order, now time.Time) (windows.ApplyResult, error) {
	res, err := s.engine.Apply(o, now)
	if err == nil && !res.Duplicate {
		s.emitResults(s.biz.ObserveOrder(o, now))
		s.rec.Observe(o)
	}
	return res, err
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
	// an hour of processing time.
	if h := now.Unix() / 3600; h != s.swept {
		s.swept = h
		s.emitResults(s.biz.Sweep(now))
	}
	if p := now.UnixNano() / int64(s.rec.Config().InsightPeriod); p != s.recAt {
		s.recAt = p
		for _, t := range s.rec.Tenants() {
			for _, in := range s.rec.Insights(t, now) {
				s.emit(in)
			}
		}
	}
	return nil
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
	s.emitResults(s.biz.ObserveWindow(c.TenantID, c.Window, c.Metrics, at))
	// Corrections revise figures an alert may already have used; the
	// detectors see each window once, in order, so history stays causal.
	if c.Revision != 1 || !slices.Contains(s.detectSizes(c.TenantID), c.Window.Size) {
		return
	}
	for _, in := range s.monitor.Observe(c.TenantID, c.Window, c.Metrics, at) {
		// The baseline's points are complete by construction (every window
		// of the series closes), so confidence follows the point count.
		in.Confidence = analytics.Confidence(in.History, 1, s.cfg.Analytics.ConfidencePoints)
		s.emit(in)
	}
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
