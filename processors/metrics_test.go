package processors

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/windows"
)

// gather registers c on a pedantic registry (which checks that Collect
// matches Describe) and flattens the result into name{labels} -> value;
// histograms give name_count and name_sum.
func gather(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			sort.Strings(labels)
			name := mf.GetName()
			if len(labels) > 0 {
				name += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.Counter != nil:
				out[name] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[name] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[name+"_count"] = float64(m.GetHistogram().GetSampleCount())
				out[name+"_sum"] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

func expect(t *testing.T, got map[string]float64, want map[string]float64) {
	t.Helper()
	for name, v := range want {
		if g, ok := got[name]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", name, g, ok, v)
		}
	}
}

// Two shards' closes, duplicates, late and dropped events reach the
// collector after their Advance; nothing is read from an engine at scrape
// time.
func TestWindowMetricsFollowTheEngines(t *testing.T) {
	m := NewWindowMetrics()
	cfg := WindowStateConfig{Metrics: m, Windows: windows.Config{
		Windows:        []windows.WindowSpec{{Size: time.Minute}, {Size: time.Hour}},
		OutOfOrderness: time.Second, CorrectionHorizon: 10 * time.Minute, IdleTimeout: time.Hour,
		WatermarkLag: m.Lag,
	}}
	var mu sync.Mutex
	emitted := map[events.Kind]int{}
	emit := func(in events.Insight) { mu.Lock(); emitted[in.Kind]++; mu.Unlock() }
	a, err := NewWindowState(cfg, emit, NewStats(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewWindowState(cfg, emit, NewStats(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	ord := func(id, tenant string, at time.Time) *events.Order {
		return &events.Order{EventID: id, Type: events.OrderCreated, TenantID: tenant, OrderID: id, Amount: 100, Currency: "USD", OccurredAt: at}
	}
	apply := func(s *WindowState, o *events.Order, now time.Time) {
		t.Helper()
		if err := s.Apply(o, now); err != nil {
			t.Fatal(err)
		}
	}
	apply(a, ord("a1", "acme", t0.Add(10*time.Second)), t0.Add(11*time.Second))
	apply(a, ord("a1", "acme", t0.Add(10*time.Second)), t0.Add(11*time.Second)) // redelivery
	apply(b, ord("b1", "globex", t0.Add(20*time.Second)), t0.Add(21*time.Second))
	if got := gather(t, m); got["pulse_events_windowed_total"] != 0 {
		t.Fatalf("counters visible before any Advance: %v", got)
	}
	// acme moves on to the next minute: its first minute closes.
	apply(a, ord("a2", "acme", t0.Add(70*time.Second)), t0.Add(71*time.Second))
	if err := a.Advance(t0.Add(72 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := b.Advance(t0.Add(72 * time.Second)); err != nil {
		t.Fatal(err)
	}
	expect(t, gather(t, m), map[string]float64{
		"pulse_events_windowed_total":     3,
		"pulse_events_deduplicated_total": 1,
		`pulse_windows_closed_total{kind="window.metrics",reason="watermark",size="1m"}`: 1,
		"pulse_windows_open":                                 4, // acme's second minute and hour, globex's minute and hour
		"pulse_window_tenants":                               2,
		"pulse_watermark_lag_seconds_count":                  2,
		"pulse_watermark_lag_seconds_sum":                    (72 - 69) + (72 - 19),
		`pulse_events_rejected_total{reason="invalid_type"}`: 0,
	})
	// A late event for acme's closed minute: a correction at the next
	// Advance. One 15 minutes old: too late for its minute (dropped), and
	// the first data of an hour that closed empty (a first result, reason
	// late).
	apply(a, ord("a3", "acme", t0.Add(30*time.Second)), t0.Add(80*time.Second))
	apply(a, ord("a4", "acme", t0.Add(-15*time.Minute)), t0.Add(80*time.Second))
	if err := a.Advance(t0.Add(81 * time.Second)); err != nil {
		t.Fatal(err)
	}
	got := gather(t, m)
	expect(t, got, map[string]float64{
		"pulse_events_late_total":         2,
		"pulse_events_dropped_late_total": 1,
		`pulse_windows_closed_total{kind="window.correction",reason="late",size="1m"}`: 1,
		`pulse_windows_closed_total{kind="window.metrics",reason="late",size="1h"}`:    1,
	})
	mu.Lock()
	defer mu.Unlock()
	var closes float64
	for name, v := range got {
		if strings.HasPrefix(name, "pulse_windows_closed_total{") {
			closes += v
		}
	}
	if want := emitted[events.KindWindowMetrics] + emitted[events.KindWindowCorrection]; closes != float64(want) {
		t.Errorf("closes counted %v, window insights emitted %d", closes, want)
	}
}

type flakyPublisher struct {
	mu    sync.Mutex
	fails int // calls left to fail
	got   map[events.Kind]map[events.Severity]int
}

func (p *flakyPublisher) Publish(_ context.Context, in events.Insight) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fails > 0 {
		p.fails--
		return errors.New("topic unavailable")
	}
	if p.got[in.Kind] == nil {
		p.got[in.Kind] = map[events.Severity]int{}
	}
	p.got[in.Kind][in.Severity]++
	return nil
}

func (p *flakyPublisher) WriteInsight(ctx context.Context, in events.Insight) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if in.InsightID == "w1" && p.fails == 0 {
		p.fails = -1 // the row of w1 fails once
		return errors.New("bigquery unavailable")
	}
	return nil
}

// Insights are counted by kind and severity once published, as a
// subscriber would count them, and every failed try by its step.
func TestOutputsMetricsCountDeliveries(t *testing.T) {
	pub := &flakyPublisher{fails: 2, got: map[events.Kind]map[events.Severity]int{}}
	o := NewOutputs(OutputsConfig{Workers: 2, MaxBackoff: 10 * time.Millisecond}, pub, pub, zerolog.Nop())
	for _, in := range []events.Insight{
		{InsightID: "w1", TenantID: "a", Kind: events.KindWindowMetrics, Severity: events.SeverityInfo},
		{InsightID: "w2", TenantID: "b", Kind: events.KindWindowMetrics, Severity: events.SeverityInfo},
		{InsightID: "c1", TenantID: "a", Kind: events.KindWindowCorrection, Severity: events.SeverityInfo},
		{InsightID: "x1", TenantID: "b", Kind: events.KindAnomalyOpened, Severity: events.SeverityCritical},
		{InsightID: "x2", TenantID: "c", Kind: events.KindAnomalyOpened, Severity: events.SeverityWarning},
	} {
		o.Emit(in)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.Close(ctx); err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		`pulse_insight_delivery_errors_total{step="publish"}`: 2,
		`pulse_insight_delivery_errors_total{step="row"}`:     1,
		"pulse_insights_lost_total":                           0,
	}
	pub.mu.Lock()
	for kind, bySev := range pub.got {
		for sev, n := range bySev {
			want[`pulse_insights_published_total{kind="`+string(kind)+`",severity="`+string(sev)+`"}`] = float64(n)
		}
	}
	pub.mu.Unlock()
	if len(want) != 3+4 {
		t.Fatalf("subscriber saw %v", pub.got)
	}
	expect(t, gather(t, o), want)
}
