package analytics

import (
	"encoding/json"
	"hash/fnv"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

var t0 = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC) // a Monday

func order(typ events.EventType, id, customer string, amount int64, at time.Time) *events.Order {
	return &events.Order{EventID: id, Type: typ, TenantID: "shop", OrderID: "o-" + id, CustomerID: customer,
		Amount: amount, Currency: "USD", OccurredAt: at}
}

func newEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEngineEviction(t *testing.T) {
	e := newEngine(t, Config{MaxCustomersPerTenant: 16})
	for i := range 17 {
		at := t0.Add(time.Duration(i) * time.Hour)
		id := string(rune('a' + i))
		observe(t, e, order(events.OrderCompleted, id, "c-"+id, 100, at), at)
	}
	// 17 > 16: evict down to 16 - 16/16 = 15, the oldest last orders first.
	if s := e.Stats(); s.Evicted != 2 {
		t.Errorf("evicted %d, want 2", s.Evicted)
	}
	cs := e.customers.(*MemoryCustomers).tenants["shop"].customers
	if len(cs) != 15 || cs[custKey{"USD", "c-a"}] != nil || cs[custKey{"USD", "c-b"}] != nil || cs[custKey{"USD", "c-c"}] == nil {
		t.Errorf("kept %d customers, or the wrong ones", len(cs))
	}
	// Forgetting: silent past ForgetCustomersAfter.
	sweep(t, e, t0.Add(DefaultForgetCustomersAfter+3*time.Hour+time.Minute))
	if s := e.Stats(); s.Forgotten != 2 || len(cs) != 13 {
		t.Errorf("forgotten %d, left %d", s.Forgotten, len(cs))
	}
}

func hourWindow(start time.Time) events.Window {
	return events.Window{Start: start, End: start.Add(time.Hour), Size: sizeHour}
}

func TestEngineWindows(t *testing.T) {
	e := newEngine(t, Config{})
	m := events.WindowMetrics{Currency: "USD", Orders: 10, Revenue: 50000}
	if rs := e.ObserveWindow("shop", events.Window{Start: t0, End: t0.Add(5 * time.Minute), Size: "5m"}, m, t0); rs != nil {
		t.Error("5m window used")
	}
	start := t0.Truncate(time.Hour)
	for i := range 10 {
		e.ObserveWindow("shop", hourWindow(start.Add(time.Duration(i)*time.Hour)), m, t0)
	}
	// Skip two hours (no orders), then a correction of a kept hour.
	e.ObserveWindow("shop", hourWindow(start.Add(12*time.Hour)), m, t0)
	if rs := e.ObserveWindow("shop", hourWindow(start.Add(3*time.Hour)), events.WindowMetrics{Currency: "USD", Orders: 11, Revenue: 1}, t0); rs != nil {
		t.Errorf("a correction published %d insights", len(rs))
	}
	s := &e.tenants["shop"].cur["USD"].s[hourIdx]
	y, obs := s.tail(metricOrders, 100)
	want := []float64{10, 10, 10, 11, 10, 10, 10, 10, 10, 10, 0, 0, 10}
	if obs != 11 || len(y) != len(want) {
		t.Fatalf("series %v observed %d", y, obs)
	}
	for i := range want {
		if y[i] != want[i] {
			t.Fatalf("series %v, want %v", y, want)
		}
	}
	if st := e.Stats(); st.Windows != 11 || st.Corrections != 1 || st.IgnoredWindows != 1 {
		t.Errorf("stats %+v", st)
	}
}

// checkResults asserts what holds for every result: a typed payload per
// kind, confidence in [0, 1], unique ids, JSON-encodable insights.
func checkResults(t *testing.T, rs []Result, ids map[string]bool) {
	t.Helper()
	for _, r := range rs {
		in := r.Insight
		if !(r.Confidence >= 0 && r.Confidence <= 1) {
			t.Fatalf("confidence %g: %+v", r.Confidence, in)
		}
		if ids[in.InsightID] {
			t.Fatalf("duplicate insight id %s: %s", in.InsightID, in.Message)
		}
		ids[in.InsightID] = true
		if _, err := json.Marshal(in); err != nil {
			t.Fatalf("marshal %s: %v", in.Message, err)
		}
		for _, f := range []float64{in.Observed, in.Expected, in.Score, in.Band.Low, in.Band.High} {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				t.Fatalf("non-finite value in %+v", in)
			}
		}
		typed := map[events.Kind]bool{
			KindTrend: r.Trend != nil, KindSeasonality: r.WeeklyPattern != nil || r.DailyPattern != nil,
			KindForecast: r.Forecast != nil, KindSegmentChanged: r.Change != nil, KindSegmentsDaily: true,
		}
		if ok, known := typed[in.Kind]; !known || !ok || in.Message == "" || !strings.HasSuffix(in.Message, ".") {
			t.Fatalf("result of kind %s: %+v", in.Kind, r)
		}
	}
}

func observe(t testing.TB, e *Engine, o *events.Order, now time.Time) []Result {
	t.Helper()
	rs, err := e.ObserveOrder(o, now)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func sweep(t testing.TB, e *Engine, now time.Time) []Result {
	t.Helper()
	rs, err := e.Sweep(now)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestFNV64aMatchesHashFNV keeps the customer dedup keys what hash/fnv
// gives, so remembered ids stay comparable.
func TestFNV64aMatchesHashFNV(t *testing.T) {
	for _, s := range []string{"", "a", "evt_8f1c", "c01b840f01d0493d9ce649f16b782724", "é\x00\xff"} {
		h := fnv.New64a()
		h.Write([]byte(s))
		if got, want := fnv64a(s), h.Sum64(); got != want {
			t.Errorf("fnv64a(%q) = %x, want %x", s, got, want)
		}
	}
}
