package processors

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/olympus-cloud/pulse/windows"
)

// WindowMetrics exports what the shards' windows engines did, as a
// Prometheus collector: window closes by size, reason and kind; the
// engines' event counters (deduplicated, late, dropped late, rejected) and
// gauges (open windows, tenants, live panes); and the watermark lag. Set it
// as WindowStateConfig.Metrics (and Lag as windows.Config.WatermarkLag).
//
// Engines belong to their shard goroutines, so nothing reads them at scrape
// time: each shard copies its engine's counters after every Advance and
// Flush (once a tick), and the scrape sums the copies. The figures are
// therefore up to one tick old; closes happen only in Advance, so the
// close counters are exact at every tick. Safe for concurrent use.
type WindowMetrics struct {
	closed *prometheus.CounterVec
	lag    prometheus.Histogram

	mu     sync.Mutex
	shards map[*WindowState]windows.Stats
}

// LagBuckets are the watermark lag histogram's upper bounds, in seconds:
// from well under the default 1m out-of-orderness to a day behind.
var LagBuckets = []float64{1, 5, 15, 30, 60, 75, 90, 120, 180, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600}

var (
	descWindowsOpen = prometheus.NewDesc("pulse_windows_open",
		"Windows holding data not yet emitted, summed over shards (in-memory state only; 0 with Redis state).", nil, nil)
	descTenants = prometheus.NewDesc("pulse_window_tenants",
		"Tenants whose window state the shards keep (in-memory state only).", nil, nil)
	descPanes = prometheus.NewDesc("pulse_window_panes_live",
		"Pre-aggregation panes kept, open or within the correction horizon (in-memory state only).", nil, nil)
	descWindowed = prometheus.NewDesc("pulse_events_windowed_total",
		"Events applied to the windows (duplicates excluded).", nil, nil)
	descDeduplicated = prometheus.NewDesc("pulse_events_deduplicated_total",
		"Events whose event_id was already applied: redeliveries, counted once.", nil, nil)
	descLate = prometheus.NewDesc("pulse_events_late_total",
		"Events applied to at least one already emitted window (a correction follows).", nil, nil)
	descDroppedLate = prometheus.NewDesc("pulse_events_dropped_late_total",
		"Events too late for at least one window (closed past the correction horizon): counted, not applied there.", nil, nil)
	descRejected = prometheus.NewDesc("pulse_events_rejected_total",
		"Events the windows refused, by reason (tenant or window cap, invalid type); their rows are still written.", []string{"reason"}, nil)
)

// NewWindowMetrics returns the collector, with nothing counted yet.
func NewWindowMetrics() *WindowMetrics {
	return &WindowMetrics{
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pulse_windows_closed_total",
			Help: "Window results emitted, one per tenant, window and currency: kind window.metrics is a first result, window.correction a revision; reason watermark, idle, flush or late.",
		}, []string{"size", "reason", "kind"}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "pulse_watermark_lag_seconds",
			Help:    "Processing time minus a tenant's watermark, observed for every tenant active within the idle timeout at every shard tick.",
			Buckets: LagBuckets,
		}),
		shards: map[*WindowState]windows.Stats{},
	}
}

// Lag observes one tenant's watermark lag: windows.Config.WatermarkLag.
func (m *WindowMetrics) Lag(d time.Duration) { m.lag.Observe(d.Seconds()) }

// closedWindow counts one emitted window result. Nil-safe.
func (m *WindowMetrics) closedWindow(c *windows.Closed) {
	if m == nil {
		return
	}
	m.closed.WithLabelValues(c.Window.Size, string(c.Reason), string(c.Kind())).Inc()
}

// snapshot copies a shard's engine counters; only the shard goroutine
// calls it. Nil-safe.
func (m *WindowMetrics) snapshot(s *WindowState) {
	if m == nil {
		return
	}
	st := s.Stats()
	m.mu.Lock()
	m.shards[s] = st
	m.mu.Unlock()
}

func (m *WindowMetrics) sum() windows.Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	var t windows.Stats
	for _, s := range m.shards {
		t.Tenants += s.Tenants
		t.LivePanes += s.LivePanes
		t.OpenWindows += s.OpenWindows
		t.Events += s.Events
		t.Duplicates += s.Duplicates
		t.LateEvents += s.LateEvents
		t.DroppedLateEvents += s.DroppedLateEvents
		t.RejectedTooManyTenants += s.RejectedTooManyTenants
		t.RejectedTooManyWindows += s.RejectedTooManyWindows
		t.RejectedInvalid += s.RejectedInvalid
	}
	return t
}

// Describe implements prometheus.Collector.
func (m *WindowMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descWindowsOpen, descTenants, descPanes, descWindowed, descDeduplicated, descLate, descDroppedLate, descRejected} {
		ch <- d
	}
	m.closed.Describe(ch)
	m.lag.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *WindowMetrics) Collect(ch chan<- prometheus.Metric) {
	t := m.sum()
	gauge := func(d *prometheus.Desc, v int) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(descWindowsOpen, t.OpenWindows)
	gauge(descTenants, t.Tenants)
	gauge(descPanes, t.LivePanes)
	counter(descWindowed, t.Events)
	counter(descDeduplicated, t.Duplicates)
	counter(descLate, t.LateEvents)
	counter(descDroppedLate, t.DroppedLateEvents)
	counter(descRejected, t.RejectedTooManyTenants, "too_many_tenants")
	counter(descRejected, t.RejectedTooManyWindows, "too_many_windows")
	counter(descRejected, t.RejectedInvalid, "invalid_type")
	m.closed.Collect(ch)
	m.lag.Collect(ch)
}
