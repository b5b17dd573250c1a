// Package customertest is the contract every analytics.CustomerStore
// passes: the same behaviour, through an analytics.Engine, whatever keeps
// the state. Run it from each implementation's tests.
package customertest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/analytics"
)

const day = 24 * time.Hour

// T0 is a Monday.
var T0 = time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)

// Open returns an empty store keeping at most maxPerTenant customers per
// tenant whose Sweep completes a pass over every tenant in one call.
type Open func(t *testing.T, maxPerTenant int) analytics.CustomerStore

// Run runs the contract against stores from open.
func Run(t *testing.T, open Open) {
	for _, tc := range []struct {
		name string
		f    func(*testing.T, Open)
	}{
		{"Lifecycle", lifecycle},
		{"DailySummary", dailySummary},
		{"Currencies", currencies},
		{"Batch", batch},
		{"EvictAndForget", evictAndForget},
		{"EmitFirstSegment", emitFirst},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, open) })
	}
}

// Order is a test order of tenant "shop" in USD.
func Order(typ events.EventType, id, customer string, amount int64, at time.Time) *events.Order {
	return &events.Order{EventID: id, Type: typ, TenantID: "shop", OrderID: "o-" + id, CustomerID: customer,
		Amount: amount, Currency: "USD", OccurredAt: at}
}

func engine(t *testing.T, open Open, cfg analytics.Config, maxPerTenant int) *analytics.Engine {
	t.Helper()
	cfg.Customers = open(t, maxPerTenant)
	e, err := analytics.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Changes renders the segment moves of rs as "customer:from>to", sorted.
func Changes(rs []analytics.Result) []string {
	var out []string
	for _, r := range rs {
		if c := r.Change; c != nil {
			out = append(out, c.CustomerID+":"+string(c.From)+">"+string(c.To))
		}
	}
	slices.Sort(out)
	return out
}

func observe(t *testing.T, e *analytics.Engine, o *events.Order, now time.Time) []analytics.Result {
	t.Helper()
	rs, err := e.ObserveOrder(o, now)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func sweep(t *testing.T, e *analytics.Engine, now time.Time) []analytics.Result {
	t.Helper()
	rs, err := e.Sweep(now)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func step(t *testing.T, rs []analytics.Result, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := strings.Join(Changes(rs), " "); got != strings.Join(want, " ") {
		t.Errorf("changes %q, want %q", got, strings.Join(want, " "))
	}
}

// lifecycle: the rules at their boundaries, refunds, cancellations and
// redeliveries, by order and by sweep.
func lifecycle(t *testing.T, open Open) {
	e := engine(t, open, analytics.Config{}, 0)
	// $400: first seen, New_Customer, published only in the daily count.
	step(t, observe(t, e, Order(events.OrderCompleted, "e1", "c1", 40000, T0), T0))
	// Created and cancelled orders and guests change nothing.
	step(t, observe(t, e, Order(events.OrderCreated, "e2", "c1", 99900, T0), T0))
	step(t, observe(t, e, Order(events.OrderCancelled, "e2c", "c1", 99900, T0), T0))
	step(t, observe(t, e, Order(events.OrderCompleted, "e3", "", 99900, T0), T0))
	// $1,100 over two orders: VIP.
	at := T0.Add(day)
	rs := observe(t, e, Order(events.OrderCompleted, "e4", "c1", 70000, at), at)
	step(t, rs, "c1:New_Customer>VIP_Active")
	if len(rs) != 1 || rs[0].Change.Orders != 2 || rs[0].Change.Spent != 110000 || !rs[0].Change.LastOrder.Equal(at) {
		t.Fatalf("change %+v", rs)
	}
	in := rs[0].Insight
	if in.Kind != analytics.KindSegmentChanged || in.Observed != 110000 || in.History != 2 || in.SchemaVersion != events.InsightSchemaVersion || !in.GeneratedAt.Equal(at) {
		t.Errorf("insight %+v", in)
	}
	if want := "Customer c1 moved from New_Customer to VIP_Active: last order 0 days ago, $1,100 spent over 2 orders."; in.Message != want {
		t.Errorf("message %q\nwant    %q", in.Message, want)
	}
	// The redelivered first order is not counted again.
	step(t, observe(t, e, Order(events.OrderCompleted, "e1", "c1", 40000, T0), at))
	// A $100.01 refund leaves exactly $999.99: High_Value. Its redelivery is
	// dropped; a refund of an unknown customer creates nothing.
	refund := Order(events.OrderRefunded, "e5", "c1", 10001, at)
	step(t, observe(t, e, refund, at), "c1:VIP_Active>High_Value")
	step(t, observe(t, e, refund, at))
	step(t, observe(t, e, Order(events.OrderRefunded, "e6", "c9", 100, at), at))
	if s := e.Stats(); s.DuplicateOrders != 2 || s.Orders != 3 {
		t.Errorf("stats %+v, want 2 duplicates and 3 orders", s)
	}
	// A $0.01 completed order makes it exactly $1,000.00: not over 1000,
	// still High_Value.
	step(t, observe(t, e, Order(events.OrderCompleted, "e6b", "c1", 1, at), at))
	// Time passes: High_Value holds through exactly 60 days, then Regular;
	// exactly 90 days of silence is still Regular, a minute more At_Risk.
	step(t, sweep(t, e, at.Add(60*day)))
	step(t, sweep(t, e, at.Add(60*day+time.Minute)), "c1:High_Value>Regular")
	step(t, sweep(t, e, at.Add(90*day)))
	step(t, sweep(t, e, at.Add(90*day+time.Minute)), "c1:Regular>At_Risk")
	step(t, sweep(t, e, at.Add(91*day)))
	// A $10 order brings the customer back: $1,010 spent, VIP again.
	back := at.Add(92 * day)
	rs = observe(t, e, Order(events.OrderCompleted, "e7", "c1", 1000, back), back)
	step(t, rs, "c1:At_Risk>VIP_Active")
	if len(rs) == 1 && (rs[0].Change.Orders != 4 || rs[0].Change.Spent != 101000) {
		t.Errorf("change %+v, want 4 orders and 101000 spent", rs[0].Change)
	}
	// VIP holds through exactly 30 days after the last order.
	step(t, sweep(t, e, back.Add(30*day)))
	step(t, sweep(t, e, back.Add(30*day+time.Second)), "c1:VIP_Active>High_Value")
	// A refund larger than the spend leaves a negative spend, exactly.
	step(t, observe(t, e, Order(events.OrderRefunded, "e8", "c1", 200000, back), back.Add(31*day)), "c1:High_Value>Regular")
	rs = observe(t, e, Order(events.OrderCompleted, "e9", "c1", 1, back.Add(31*day)), back.Add(31*day))
	step(t, rs)
	rs = sweep(t, e, back.Add(200*day))
	step(t, rs, "c1:Regular>At_Risk")
	if len(rs) > 0 && rs[0].Change != nil && rs[0].Change.Spent != 101000-200000+1 {
		t.Errorf("spent %d, want %d", rs[0].Change.Spent, 101000-200000+1)
	}
}

func dailySummary(t *testing.T, open Open) {
	e := engine(t, open, analytics.Config{}, 0)
	// Two VIPs ($1,200 and $1,500.50), one new, two silent for 100 days.
	old := T0.Add(-100 * day)
	for _, o := range []*events.Order{
		Order(events.OrderCompleted, "a", "vip1", 120000, T0),
		Order(events.OrderCompleted, "b", "vip2", 150050, T0),
		Order(events.OrderCompleted, "c", "new1", 2500, T0),
		Order(events.OrderCompleted, "d", "gone1", 2500, old),
		Order(events.OrderCompleted, "e", "gone1", 2500, old),
		Order(events.OrderCompleted, "f", "gone2", 2500, old),
	} {
		observe(t, e, o, o.OccurredAt)
	}
	rs := sweep(t, e, T0)
	var msgs []string
	var counts *analytics.SegmentCounts
	for _, r := range rs {
		if r.Insight.Kind == analytics.KindSegmentsDaily {
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
	// The first sweep saw the old customers move to At_Risk.
	step(t, rs, "gone1:Regular>At_Risk", "gone2:New_Customer>At_Risk")
	// Once per local day.
	if rs := sweep(t, e, T0.Add(time.Hour)); len(rs) != 0 {
		t.Errorf("second sweep of the day: %d results", len(rs))
	}
	if rs := sweep(t, e, T0.Add(day)); len(rs) == 0 || rs[0].Counts == nil {
		t.Error("no summary on the next day")
	}
}

// currencies: one customer id paying in two currencies is two customers.
func currencies(t *testing.T, open Open) {
	e := engine(t, open, analytics.Config{}, 0)
	eur := Order(events.OrderCompleted, "x2", "c1", 80000, T0)
	eur.Currency = "EUR"
	observe(t, e, Order(events.OrderCompleted, "x1", "c1", 80000, T0), T0)
	observe(t, e, eur, T0)
	// ¥ has no minor digits: 1001 yen is over 1000.
	jpy := Order(events.OrderCompleted, "x3", "c1", 1001, T0)
	jpy.Currency = "JPY"
	observe(t, e, jpy, T0)
	rs := sweep(t, e, T0.Add(time.Minute))
	got := map[string]int{}
	for _, r := range rs {
		if r.Counts != nil {
			got[r.Counts.Currency] = r.Counts.Total
		}
	}
	if fmt.Sprint(got) != "map[EUR:1 JPY:1 USD:1]" {
		t.Errorf("customers by currency %v", got)
	}
	for _, r := range rs {
		if c := r.Counts; c != nil && c.Currency == "JPY" && c.Count(analytics.SegmentVIPActive) != 1 {
			t.Errorf("¥1001 is not VIP: %+v", c)
		}
	}
	rs = observe(t, e, Order(events.OrderCompleted, "x4", "c1", 30000, T0), T0)
	if step(t, rs, "c1:High_Value>VIP_Active"); len(rs) == 1 && rs[0].Insight.Currency != "USD" {
		t.Errorf("move in %s", rs[0].Insight.Currency)
	}
}

// batch: a batch applies in order, moves computed between its updates,
// duplicates inside the batch dropped.
func batch(t *testing.T, open Open) {
	e := engine(t, open, analytics.Config{}, 0)
	b := []*events.Order{
		Order(events.OrderCompleted, "b1", "c1", 60000, T0),
		Order(events.OrderCompleted, "b1", "c1", 60000, T0), // redelivered in the same batch
		Order(events.OrderCompleted, "b2", "c2", 100, T0),
		Order(events.OrderCompleted, "b3", "c1", 60000, T0.Add(time.Hour)),
		Order(events.OrderRefunded, "b4", "c1", 30000, T0.Add(time.Hour)),
		Order(events.OrderCreated, "b5", "c3", 100, T0),
	}
	rs, err := e.ObserveOrders(b, T0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// c1: High_Value (600, first seen) -> VIP (1200) -> High_Value (900).
	if got := Changes(rs); strings.Join(got, " ") != "c1:High_Value>VIP_Active c1:VIP_Active>High_Value" {
		t.Errorf("changes %q", got)
	}
	if s := e.Stats(); s.Orders != 4 || s.DuplicateOrders != 1 {
		t.Errorf("stats %+v", s)
	}
	// A second delivery of the whole batch changes nothing.
	if rs, err := e.ObserveOrders(b, T0.Add(2*time.Hour)); err != nil || len(rs) != 0 {
		t.Errorf("redelivery: %d results, %v", len(rs), err)
	}
}

func evictAndForget(t *testing.T, open Open) {
	e := engine(t, open, analytics.Config{}, 16)
	for i := range 17 {
		at := T0.Add(time.Duration(i) * time.Hour)
		id := string(rune('a' + i))
		observe(t, e, Order(events.OrderCompleted, id, "c-"+id, 100, at), at)
	}
	// 17 > 16: evict down to 16 - 16/16 = 15, the oldest last orders first.
	if s := e.Stats(); s.Evicted != 2 {
		t.Errorf("evicted %d, want 2", s.Evicted)
	}
	// An evicted customer is new again: no move from its old segment.
	at := T0.Add(20 * time.Hour)
	step(t, observe(t, e, Order(events.OrderCompleted, "a2", "c-a", 100, at), at))
	// A kept one is not.
	step(t, observe(t, e, Order(events.OrderCompleted, "c2", "c-c", 100, at), at), "c-c:New_Customer>Regular")
	// 16 again; forgetting: silent past ForgetCustomersAfter (c-d, c-e).
	now := T0.Add(analytics.DefaultForgetCustomersAfter + 4*time.Hour + time.Minute)
	rs := sweep(t, e, now)
	if s := e.Stats(); s.Forgotten != 2 {
		t.Errorf("forgotten %d, want 2", s.Forgotten)
	}
	i := slices.IndexFunc(rs, func(r analytics.Result) bool { return r.Counts != nil })
	if i < 0 || rs[i].Counts.Total != 14 || rs[i].Counts.Count(analytics.SegmentAtRisk) != 14 {
		t.Errorf("counts after forgetting: %+v", rs)
	}
}

func emitFirst(t *testing.T, open Open) {
	e := engine(t, open, analytics.Config{EmitFirstSegment: true}, 0)
	step(t, observe(t, e, Order(events.OrderCompleted, "f1", "c1", 100, T0), T0), "c1:>New_Customer")
	step(t, observe(t, e, Order(events.OrderRefunded, "f2", "c2", 100, T0), T0))
}
