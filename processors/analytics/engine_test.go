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

func changes(rs []Result) []string {
	var out []string
	for _, r := range rs {
		if r.Change != nil {
			out = append(out, r.Change.CustomerID+":"+string(r.Change.From)+">"+string(r.Change.To))
		}
	}
	return out
}

func TestEngineCustomerLifecycle(t *testing.T) {
	e := newEngine(t, Config{})
	step := func(rs []Result, want ...string) {
		t.Helper()
		if got := strings.Join(changes(rs), " "); got != strings.Join(want, " ") {
			t.Errorf("changes %q, want %q", got, strings.Join(want, " "))
		}
	}
	// $400: first seen, New_Customer, published only in the daily count.
	step(observe(t, e, order(events.OrderCompleted, "e1", "c1", 40000, t0), t0))
	// Created and cancelled orders and guests change nothing.
	step(observe(t, e, order(events.OrderCreated, "e2", "c1", 99900, t0), t0))
	step(observe(t, e, order(events.OrderCompleted, "e3", "", 99900, t0), t0))
	// $1,100 over two orders: VIP.
	at := t0.Add(day)
	rs := observe(t, e, order(events.OrderCompleted, "e4", "c1", 70000, at), at)
	step(rs, "c1:New_Customer>VIP_Active")
	in := rs[0].Insight
	if in.Kind != KindSegmentChanged || in.Observed != 110000 || in.History != 2 || in.SchemaVersion != events.InsightSchemaVersion || !in.GeneratedAt.Equal(at) {
		t.Errorf("insight %+v", in)
	}
	if want := "Customer c1 moved from New_Customer to VIP_Active: last order 0 days ago, $1,100 spent over 2 orders."; in.Message != want {
		t.Errorf("message %q\nwant    %q", in.Message, want)
	}
	// A $100.01 refund leaves $999.99: High_Value. Its redelivery is dropped.
	refund := order(events.OrderRefunded, "e5", "c1", 10001, at)
	step(observe(t, e, refund, at), "c1:VIP_Active>High_Value")
	step(observe(t, e, refund, at))
	if s := e.Stats(); s.DuplicateOrders != 1 || s.Orders != 3 {
		t.Errorf("stats %+v", s)
	}
	// A refund of an unknown customer creates nothing.
	step(observe(t, e, order(events.OrderRefunded, "e6", "c9", 100, at), at))
	// Time passes: High_Value holds through exactly 60 days, then Regular;
	// exactly 90 days of silence is still Regular, a minute more is At_Risk.
	step(sweep(t, e, at.Add(60*day)))
	step(sweep(t, e, at.Add(60*day+time.Minute)), "c1:High_Value>Regular")
	step(sweep(t, e, at.Add(90*day)))
	step(sweep(t, e, at.Add(90*day+time.Minute)), "c1:Regular>At_Risk")
	step(sweep(t, e, at.Add(91*day)))
	// A $10 order brings the customer back: $1,009.99 spent, VIP again.
	back := at.Add(92 * day)
	step(observe(t, e, order(events.OrderCompleted, "e7", "c1", 1000, back), back), "c1:At_Risk>VIP_Active")
}

func TestEngineDailySummary(t *testing.T) {
	e := newEngine(t, Config{})
	// Two VIPs ($1,200 and $1,500.50), one new, two silent for 100 days.
	old := t0.Add(-100 * day)
	for i, o := range []*events.Order{
		order(events.OrderCompleted, "a", "vip1", 120000, t0),
		order(events.OrderCompleted, "b", "vip2", 150050, t0),
		order(events.OrderCompleted, "c", "new1", 2500, t0),
		order(events.OrderCompleted, "d", "gone1", 2500, old),
		order(events.OrderCompleted, "e", "gone1", 2500, old),
		order(events.OrderCompleted, "f", "gone2", 2500, old),
	} {
		_ = i
		observe(t, e, o, o.OccurredAt)
	}
	rs := sweep(t, e, t0)
	var msgs []string
	var counts *SegmentCounts
	for _, r := range rs {
		if r.Insight.Kind == KindSegmentsDaily {
			msgs = append(msgs, r.Insight.Metric+": "+r.Insight.Message)
		}
		if r.Counts != nil {
			counts = r.Counts
		}
	}
	want := []string{
		"segments: Customer segments: 2 VIP_Active, 0 High_Value, 2 At_Risk, 1 New_Customer and 0 Regular (5 customers).",
		"vip_active: You have 2 VIP customers with average spend of $1,350.",
		"at_risk: Warning: 40.0% of customers are at risk of churning.",
		"new_customer: You have 1 new customer - consider follow-up campaigns.",
	}
	if strings.Join(msgs, "\n") != strings.Join(want, "\n") {
		t.Errorf("summary\n%s\nwant\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
	if counts == nil || counts.VIPAverageSpend != 135025 || counts.Total != 5 || counts.Day.Start != time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) {
		t.Errorf("counts %+v", counts)
	}
	for _, r := range rs {
		if r.Insight.Metric == "at_risk" && r.Insight.Severity != events.SeverityWarning {
			t.Errorf("at-risk warning has severity %s", r.Insight.Severity)
		}
	}
	// Once per local day.
	if rs := sweep(t, e, t0.Add(time.Hour)); len(rs) != 0 {
		t.Errorf("second sweep of the day: %d results", len(rs))
	}
	if rs := sweep(t, e, t0.Add(day)); len(rs) == 0 || rs[0].Counts == nil {
		t.Error("no summary on the next day")
	}
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
