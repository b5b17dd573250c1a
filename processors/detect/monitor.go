package detect

import (
	"container/list"
	"errors"
	"fmt"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// DefaultMaxSeries caps the number of (tenant, window size, currency) series
// groups a Monitor keeps; the least recently updated is evicted beyond it.
// A group (five metrics) holds about 56 KiB at the default History, so the
// default cap bounds a Monitor near 560 MiB.
const DefaultMaxSeries = 10000

// MonitorConfig configures a Monitor. The zero value is the default.
type MonitorConfig struct {
	// Detector is the configuration of every metric's detector and
	// lifecycle; Counts is set for orders and unique customers regardless.
	Detector Config
	// PerMetric overrides Detector for the named metrics (Metric* constants).
	PerMetric map[string]Config
	// MaxSeries caps the series groups held (default DefaultMaxSeries). One
	// group (five metrics) holds about 56 KiB at the default History.
	MaxSeries int
	// Texter writes messages; nil means DefaultTexter in Detector.Location.
	Texter Texter
	// MinOrders is the fewest completed orders a window needs before its
	// revenue is scored, unless the series usually has that many. Below
	// it, one basket decides the figure: a $900 order in an hour of two
	// orders is not an anomaly of the shop; but revenue collapsing in an
	// hour that usually has 40 orders is. Default 10.
	MinOrders int64
	// Tenant, when set, gives a tenant's own configuration of a metric
	// (tenant settings); false keeps the monitor's. It is read when a series
	// starts, so a change reaches new series. An invalid configuration is
	// ignored in favour of the monitor's.
	Tenant func(tenant, metric string) (Config, bool)
	// MinRateTrials is the fewest completed plus cancelled orders a window
	// needs before its cancellation rate is scored: 1 cancelled of 1 is not
	// a 100% cancellation rate worth waking anyone for. Default 20.
	MinRateTrials int64
	// MinMeanOrders is the fewest completed orders a window needs before
	// its average order value is scored (default 3). AOV is scored as a
	// mean of that many orders (Detector.ObserveMean), so one big basket in
	// an hour of three is judged by the spread three orders have.
	MinMeanOrders int64
}

// Defaults of MonitorConfig's volume gates.
const (
	DefaultMinOrders     = 10
	DefaultMinRateTrials = 20
	DefaultMinMeanOrders = 3
)

// Validate reports every problem at once.
func (c MonitorConfig) Validate() error {
	errs := []error{c.Detector.Validate()}
	for m, mc := range c.PerMetric {
		if err := mc.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("metric %s: %w", m, err))
		}
	}
	if c.MinOrders < 0 || c.MinRateTrials < 0 || c.MinMeanOrders < 0 {
		errs = append(errs, errors.New("volume gates must not be negative"))
	}
	if c.MaxSeries < 0 {
		errs = append(errs, fmt.Errorf("max series %d: must not be negative", c.MaxSeries))
	}
	return errors.Join(errs...)
}

// metricOrder is the fixed order of insights within one window.
var metricOrder = [...]string{MetricRevenue, MetricOrders, MetricAverageOrderValue, MetricUniqueCustomers, MetricCancellationRate}

// Monitor turns closed windows into anomaly insights for every tenant. It
// keeps all per-series state inside and is owned by one goroutine (no
// locks): shard tenants across Monitors for parallelism.
type Monitor struct {
	cfg     MonitorConfig
	groups  map[groupKey]*list.Element
	lru     *list.List // of *group, most recently used first
	evicted uint64
}

type groupKey struct{ tenant, size, currency string }

type group struct {
	key  groupKey
	det  [len(metricOrder)]*Detector
	life [len(metricOrder)]*Lifecycle
	// volume is an exponentially weighted mean of completed orders per
	// window (weight 1/8), the series' usual volume for the revenue gate.
	volume float64
	seen   bool
}

// NewMonitor validates cfg and returns an empty Monitor.
func NewMonitor(cfg MonitorConfig) (*Monitor, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxSeries == 0 {
		cfg.MaxSeries = DefaultMaxSeries
	}
	if cfg.MinOrders == 0 {
		cfg.MinOrders = DefaultMinOrders
	}
	if cfg.MinMeanOrders == 0 {
		cfg.MinMeanOrders = DefaultMinMeanOrders
	}
	if cfg.MinRateTrials == 0 {
		cfg.MinRateTrials = DefaultMinRateTrials
	}
	return &Monitor{cfg: cfg, groups: map[groupKey]*list.Element{}, lru: list.New()}, nil
}

// Len is the number of series groups held; Evicted how many were dropped
// for the cap (their history restarts if the tenant comes back).
func (m *Monitor) Len() int        { return m.lru.Len() }
func (m *Monitor) Evicted() uint64 { return m.evicted }

// Observe scores one closed window of a tenant's metrics (windows of one
// series must arrive in order) and returns the anomaly insights it causes,
// in a fixed metric order; usually none. closedAt is the insights'
// GeneratedAt. Money metrics are scored in minor units of wm.Currency.
// Every metric's Key carries the window's currency, so insights of one
// tenant's series in different currencies never share an id.
func (m *Monitor) Observe(tenant string, w events.Window, wm events.WindowMetrics, closedAt time.Time) []events.Insight {
	g := m.group(groupKey{tenant, w.Size, wm.Currency})
	busy := g.seen && g.volume >= float64(m.cfg.MinOrders)
	if g.seen {
		g.volume += (float64(wm.CompletedOrders) - g.volume) / 8
	} else {
		g.volume, g.seen = float64(wm.CompletedOrders), true
	}
	var out []events.Insight
	for i, metric := range metricOrder {
		var s Score
		d := g.det[i]
		switch metric {
		case MetricRevenue:
			if wm.CompletedOrders < m.cfg.MinOrders && !busy {
				continue
			}
			s = d.Observe(w.Start, float64(wm.Revenue))
		case MetricOrders:
			s = d.Observe(w.Start, float64(wm.Orders))
		case MetricAverageOrderValue:
			if wm.CompletedOrders < m.cfg.MinMeanOrders {
				continue
			}
			s = d.ObserveMean(w.Start, float64(wm.AverageOrderValue()), wm.CompletedOrders)
		case MetricUniqueCustomers:
			s = d.Observe(w.Start, float64(wm.UniqueCustomers))
		case MetricCancellationRate:
			if wm.CompletedOrders+wm.CancelledOrders < m.cfg.MinRateTrials {
				continue
			}
			s = d.ObserveRate(w.Start, wm.CancelledOrders, wm.CompletedOrders+wm.CancelledOrders)
		}
		if in, ok := g.life[i].Step(w, s, closedAt); ok {
			out = append(out, in)
		}
	}
	return out
}

func (m *Monitor) group(k groupKey) *group {
	if e, ok := m.groups[k]; ok {
		m.lru.MoveToFront(e)
		return e.Value.(*group)
	}
	if m.lru.Len() >= m.cfg.MaxSeries {
		old := m.lru.Back()
		m.lru.Remove(old)
		delete(m.groups, old.Value.(*group).key)
		m.evicted++
	}
	g := &group{key: k}
	for i, metric := range metricOrder {
		cfg := m.cfg.Detector
		if c, ok := m.cfg.PerMetric[metric]; ok {
			cfg = c
		}
		if m.cfg.Tenant != nil {
			if c, ok := m.cfg.Tenant(k.tenant, metric); ok && c.Validate() == nil {
				cfg = c
			}
		}
		if metric == MetricOrders || metric == MetricUniqueCustomers {
			cfg.Counts = true
		}
		// Both constructors only fail on an invalid config, which
		// NewMonitor has already rejected.
		g.det[i], _ = NewDetector(cfg)
		g.life[i], _ = NewLifecycle(Key{Tenant: k.tenant, Metric: metric, Size: k.size, Currency: k.currency}, cfg, m.cfg.Texter)
	}
	m.groups[k] = m.lru.PushFront(g)
	return g
}
