package recommend

import (
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

var t0 = time.Date(2026, time.January, 5, 0, 0, 0, 0, time.UTC)

func order(tenant, id string, typ events.EventType, at time.Time, skus ...string) *events.Order {
	o := &events.Order{EventID: id + "-" + typ.String(), Type: typ, TenantID: tenant, OrderID: id, Currency: "USD", OccurredAt: at}
	for _, s := range skus {
		o.Items = append(o.Items, events.Item{SKU: s, Quantity: 1, UnitPrice: 100})
	}
	return o
}

// exactConfig makes every threshold tiny so hand-computed figures show.
func exactConfig() Config {
	return Config{HalfLife: -1, MinBaskets: 0.01, MinItemCount: 0.01, MinPairCount: 0.01}
}

func newModel(t testing.TB, cfg Config) *Model {
	t.Helper()
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

type want struct {
	sku                        string
	lift, conf, support, count float64
}

func checkRecs(t *testing.T, r Result, ws []want) {
	t.Helper()
	if r.ColdStart != "" {
		t.Fatalf("%s: cold start %s: %s", r.SKU, r.ColdStart, r.Reason)
	}
	if len(r.Items) != len(ws) {
		t.Fatalf("%s: got %d items %+v, want %d", r.SKU, len(r.Items), r.Items, len(ws))
	}
	for i, w := range ws {
		g := r.Items[i]
		if g.SKU != w.sku || !near(g.Lift, w.lift) || !near(g.Confidence, w.conf) || !near(g.Support, w.support) || !near(g.Count, w.count) {
			t.Errorf("%s item %d = %+v, want %+v", r.SKU, i, g, w)
		}
	}
}

// The basket set, by hand (no decay):
//
//	o1 A B C   o2 A B   o3 A C   o4 B D   o5 A B D
//	o6 C D E, fully refunded (no items on the refund)
//	o7 A C E, E refunded (partial refund listing E)
//	o8 (cancelled) A D: not a purchase
//
// Left: N=6, n(A)=5, n(B)=4, n(C)=3, n(D)=2, n(E)=0;
// n(A,B)=3, n(A,C)=3, n(B,C)=1, n(B,D)=2, n(A,D)=1.
func handBaskets(m *Model) {
	at := t0
	next := func() time.Time { at = at.Add(time.Minute); return at }
	m.Observe(order("t1", "o1", events.OrderCompleted, next(), "A", "B", "C"))
	m.Observe(order("t1", "o2", events.OrderCompleted, next(), "A", "B", "B")) // duplicate line: a basket is a set
	m.Observe(order("t1", "o3", events.OrderCompleted, next(), "A", "C"))
	m.Observe(order("t1", "o4", events.OrderCompleted, next(), "B", "D"))
	m.Observe(order("t1", "o5", events.OrderCompleted, next(), "A", "B", "D"))
	m.Observe(order("t1", "o6", events.OrderCompleted, next(), "C", "D", "E"))
	m.Observe(order("t1", "o7", events.OrderCompleted, next(), "A", "C", "E"))
	m.Observe(order("t1", "o8", events.OrderCreated, next(), "A", "D"))
	m.Observe(order("t1", "o8", events.OrderCancelled, next(), "A", "D"))
	m.Observe(order("t1", "o6", events.OrderRefunded, next()))
	m.Observe(order("t1", "o7", events.OrderRefunded, next(), "E"))
}

func TestHandComputed(t *testing.T) {
	m := newModel(t, exactConfig())
	handBaskets(m)
	now := t0.Add(time.Hour)
	cases := []struct {
		sku  string
		want []want
	}{
		// A→C: conf 3/5, lift (3/5)/(3/6)=1.2, support 3/6. A→B: lift (3/5)/(4/6)=0.9, not above chance.
		{"A", []want{{"C", 1.2, 0.6, 0.5, 3}}},
		// C→A: conf 3/3, lift 1/(5/6). C→B: (1/3)/(4/6)=0.5.
		{"C", []want{{"A", 1.2, 1, 0.5, 3}}},
		// D→B: conf 2/2, lift 1/(4/6)=1.5; D→A: (1/2)/(5/6)=0.6.
		{"D", []want{{"B", 1.5, 1, 2.0 / 6, 2}}},
		// B→D: conf 2/4, lift (1/2)/(2/6)=1.5.
		{"B", []want{{"D", 1.5, 0.5, 2.0 / 6, 2}}},
	}
	for _, c := range cases {
		r, err := m.Recommend("t1", c.sku, 10, now)
		if err != nil {
			t.Fatal(err)
		}
		if !near(r.Baskets, 6) {
			t.Errorf("baskets %g, want 6", r.Baskets)
		}
		checkRecs(t, r, c.want)
		// A snapshot answers the same.
		rs, err := m.Snapshot("t1", now).Recommend(c.sku, 10)
		if err != nil {
			t.Fatal(err)
		}
		checkRecs(t, rs, c.want)
	}
	r, err := m.Recommend("t1", "E", 10, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.ColdStart != ColdSKU || len(r.Items) != 0 {
		t.Errorf("E after its refunds: %+v, want cold SKU", r)
	}
	st := m.Stats()
	if st.Completed != 7 || st.RefundsExact != 2 || st.Ignored != 2 {
		t.Errorf("stats %+v", st)
	}
	// The same pairs, once each, for BigQuery.
	rows := m.Pairs("t1", now)
	exact := map[[2]string]float64{{"A", "B"}: 3, {"A", "C"}: 3, {"B", "C"}: 1, {"B", "D"}: 2, {"A", "D"}: 1}
	if len(rows) != len(exact) {
		t.Fatalf("pairs %+v, want %v", rows, exact)
	}
	count := map[string]float64{"A": 5, "B": 4, "C": 3, "D": 2}
	for _, r := range rows {
		c, ok := exact[[2]string{r.SKUA, r.SKUB}]
		if !ok || !near(r.PairCount, c) || !near(r.CountA, count[r.SKUA]) || !near(r.CountB, count[r.SKUB]) ||
			!near(r.Lift, c*6/(count[r.SKUA]*count[r.SKUB])) || !near(r.ConfidenceAB, c/count[r.SKUA]) ||
			!near(r.ConfidenceBA, c/count[r.SKUB]) || !near(r.Support, c/6) || r.PairCountError != 0 || r.HalfLifeHours != 0 {
			t.Errorf("row %+v, want count %g", r, c)
		}
	}
	for i := 1; i < len(rows); i++ {
		if rows[i].Lift > rows[i-1].Lift {
			t.Errorf("rows not by lift: %+v", rows)
		}
	}
}

func TestRedeliveryIsIdempotent(t *testing.T) {
	m := newModel(t, exactConfig())
	handBaskets(m)
	handBaskets(m) // every completion and refund again
	r, err := m.Recommend("t1", "D", 10, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	checkRecs(t, r, []want{{"B", 1.5, 1, 2.0 / 6, 2}})
	if st := m.Stats(); st.Duplicates != 7 || st.RefundsNoop != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestDecay by hand with a one-day half-life, queried at t0+48h:
//
//	t0      {A,B}  weight 1/4
//	t0+24h  {A,C}  weight 1/2
//	t0+24h  {D}    weight 1/2
//
// N=1.25, n(A)=0.75, n(B)=0.25, n(C)=0.5; n(A,B)=0.25, n(A,C)=0.5.
// A→C: conf 0.5/0.75, lift (2/3)/(0.5/1.25)=5/3, support 0.4.
// A→B: conf 1/3, lift (1/3)/(0.25/1.25)=5/3, support 0.2: same lift, fewer baskets.
func TestDecay(t *testing.T) {
	cfg := Config{HalfLife: 24 * time.Hour, MinBaskets: 0.5, MinItemCount: 0.1, MinPairCount: 0.1}
	m := newModel(t, cfg)
	m.Observe(order("t1", "o1", events.OrderCompleted, t0, "A", "B"))
	m.Observe(order("t1", "o2", events.OrderCompleted, t0.Add(24*time.Hour), "A", "C"))
	m.Observe(order("t1", "o3", events.OrderCompleted, t0.Add(24*time.Hour), "D"))
	now := t0.Add(48 * time.Hour)
	r, err := m.Recommend("t1", "A", 10, now)
	if err != nil {
		t.Fatal(err)
	}
	if !near(r.Baskets, 1.25) || !near(r.SKUCount, 0.75) {
		t.Errorf("N %g n(A) %g, want 1.25 0.75", r.Baskets, r.SKUCount)
	}
	checkRecs(t, r, []want{{"C", 5.0 / 3, 2.0 / 3, 0.4, 0.5}, {"B", 5.0 / 3, 1.0 / 3, 0.2, 0.25}})

	// Refunding o1 three days in removes exactly its weight at completion:
	// N=1, n(A)=0.5; A→C: conf 1, lift 1/(0.5/1)=2.
	m.Observe(order("t1", "o1", events.OrderRefunded, t0.Add(72*time.Hour)))
	r, err = m.Recommend("t1", "A", 10, now)
	if err != nil {
		t.Fatal(err)
	}
	checkRecs(t, r, []want{{"C", 2, 1, 0.5, 0.5}})

	// A later query sees the same ratios on smaller counts: one more day
	// halves every count, so the pair falls under MinPairCount... not yet
	// (0.25 >= 0.1), but N=0.5 is at the cold line; two days on it is cold.
	r, err = m.Recommend("t1", "A", 10, now.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if r.ColdStart != ColdTenant || !near(r.Baskets, 0.25) {
		t.Errorf("two half-lives later: %+v, want cold tenant with N 0.25", r)
	}
}

// TestApproxRefund: a refund of an order the model no longer remembers is
// undone from the refund's own items at the refund's weight.
func TestApproxRefund(t *testing.T) {
	cfg := exactConfig()
	cfg.RefundMemory = 1
	m := newModel(t, cfg)
	m.Observe(order("t1", "o1", events.OrderCompleted, t0, "A", "B"))
	m.Observe(order("t1", "o2", events.OrderCompleted, t0, "A", "C"))
	m.Observe(order("t1", "o3", events.OrderCompleted, t0, "B", "C")) // o1 forgotten
	m.Observe(order("t1", "o1", events.OrderRefunded, t0.Add(time.Hour), "A", "B"))
	m.Observe(order("t1", "o1", events.OrderRefunded, t0.Add(time.Hour), "A", "B")) // redelivered: no-op
	m.Observe(order("t1", "o9", events.OrderRefunded, t0.Add(time.Hour)))           // forgotten, no items
	rows := m.Pairs("t1", t0.Add(time.Hour))
	got := map[[2]string]float64{}
	for _, r := range rows {
		got[[2]string{r.SKUA, r.SKUB}] = r.PairCount
		if !near(r.Baskets, 2) {
			t.Errorf("N %g, want 2", r.Baskets)
		}
	}
	if len(got) != 2 || got[[2]string{"A", "C"}] != 1 || got[[2]string{"B", "C"}] != 1 {
		t.Errorf("pairs after approximate refund: %v", got)
	}
	if st := m.Stats(); st.RefundsApprox != 1 || st.RefundsNoop != 1 || st.RefundsIgnored != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestColdStart(t *testing.T) {
	m := newModel(t, Config{MinBaskets: 10, MinItemCount: 3, MinPairCount: 2})
	now := t0 // no decay yet: the counts are whole
	r, err := m.Recommend("nobody", "A", 5, now)
	if err != nil || r.ColdStart != ColdTenant || r.Reason == "" {
		t.Errorf("unknown tenant: %+v %v", r, err)
	}
	for i := range 10 {
		// A with B twice; A, X, Y alone; F everywhere else.
		id := "o" + strconv.Itoa(i)
		switch i {
		case 0, 1:
			m.Observe(order("t1", id, events.OrderCompleted, t0, "A", "B"))
		case 2:
			m.Observe(order("t1", id, events.OrderCompleted, t0, "A", "X"))
		default:
			m.Observe(order("t1", id, events.OrderCompleted, t0, "F", "G"))
		}
	}
	for _, c := range []struct {
		name string
		sku  string
		want ColdStart
		n    int
	}{
		{"untracked sku", "Z", ColdSKU, 0},
		{"rare sku", "B", ColdSKU, 0},
		{"answered", "A", "", 1},     // A→B in 2 baskets; A→X in 1, under MinPairCount
		{"no pair", "X", ColdSKU, 0}, // 1 basket
	} {
		r, err := m.Recommend("t1", c.sku, 5, now)
		if err != nil {
			t.Fatal(err)
		}
		if r.ColdStart != c.want || len(r.Items) != c.n || (c.want != "") != (r.Reason != "") {
			t.Errorf("%s: %+v, want cold %q and %d items", c.name, r, c.want, c.n)
		}
	}
}

func TestColdPairs(t *testing.T) {
	m := newModel(t, Config{MinBaskets: 5, MinItemCount: 3, MinPairCount: 2})
	for i := range 6 {
		// F in every basket, with a different partner each time: no pair
		// reaches MinPairCount.
		m.Observe(order("t1", "o"+strconv.Itoa(i), events.OrderCompleted, t0, "F", "P"+strconv.Itoa(i)))
	}
	r, err := m.Recommend("t1", "F", 5, t0)
	if err != nil {
		t.Fatal(err)
	}
	if r.ColdStart != ColdPairs || len(r.Items) != 0 {
		t.Errorf("%+v, want %s", r, ColdPairs)
	}
}

func TestInvalidQuery(t *testing.T) {
	m := newModel(t, Config{})
	for _, c := range []struct {
		sku   string
		limit int
	}{{"", 5}, {"A", 0}, {"A", DefaultMaxLimit + 1}} {
		if _, err := m.Recommend("t1", c.sku, c.limit, t0); !errors.Is(err, ErrInvalidQuery) {
			t.Errorf("%q %d: %v, want ErrInvalidQuery", c.sku, c.limit, err)
		}
		if _, err := m.Snapshot("t1", t0).Recommend(c.sku, c.limit); !errors.Is(err, ErrInvalidQuery) {
			t.Errorf("snapshot %q %d: %v, want ErrInvalidQuery", c.sku, c.limit, err)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("zero config: %v", err)
	}
	bad := Config{ItemCapacity: -1, PairCapacity: maxPairCapacity + 1, MaxBasket: 1, HalfLife: time.Second, MinPairCount: -1, InsightPeriod: time.Second}
	err := bad.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	if n := len(err.(interface{ Unwrap() []error }).Unwrap()); n != 6 {
		t.Errorf("%d problems reported, want 6: %v", n, err)
	}
	if _, err := New(bad); err == nil {
		t.Error("New accepted a bad config")
	}
}
