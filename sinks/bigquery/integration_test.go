package bigquery

import (
	"context"
	"fmt"
	"math/big"
	"strconv"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"cloud.google.com/go/civil"
	"google.golang.org/api/iterator"

	"github.com/olympus-cloud/pulse/events"
)

// rat is an exact amount: minor units over 10^digits.
func rat(minor int64, currency string) *big.Rat {
	d, _ := events.MinorDigits(currency)
	return new(big.Rat).SetFrac(big.NewInt(minor), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d)), nil))
}

func query(t *testing.T, c *bigquery.Client, sql string) []map[string]bigquery.Value {
	t.Helper()
	it, err := c.Query(sql).Read(context.Background())
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var out []map[string]bigquery.Value
	for {
		row := map[string]bigquery.Value{}
		err := it.Next(&row)
		if err == iterator.Done {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		out = append(out, row)
	}
}

// deliver writes every delivery through w from many goroutines, as
// concurrent Pub/Sub handlers would, and returns the first error.
func deliver(t testing.TB, w interface {
	WriteOrder(context.Context, *events.Order, OrderMeta) error
}, deliveries []events.Order, acked func(*events.Order)) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, 128)
	)
	for i := range deliveries {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			o := &deliveries[i]
			err := w.WriteOrder(context.Background(), o, OrderMeta{IngestedAt: time.Now(), PublishTime: o.OccurredAt, MessageID: strconv.Itoa(i)})
			if err == nil && acked != nil {
				acked(o)
			}
			if err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("delivery %d (%s): %w", i, o.EventID, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return first
}

type dayKey struct {
	tenant, day, currency string
}

func TestEmulatorEndToEnd(t *testing.T) {
	e := startEmulator(t, "pulse")
	ctx := context.Background()
	c := e.client(t)
	log := testLogger(t)
	if err := Init(ctx, c, e.config(), log); err != nil {
		t.Fatal(err)
	}
	if err := Init(ctx, c, e.config(), log); err != nil {
		t.Fatalf("second Init (idempotent): %v", err)
	}
	cfg := e.config()
	cfg.Batch = BatchPolicy{MaxRows: 100, MaxAge: 20 * time.Millisecond}
	w, err := New(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	orders := genOrders(1, 500, now)
	seg := segmentFixture(now)
	for _, s := range seg {
		orders = append(orders, s.orders...)
	}
	deliveries := withDuplicates(2, orders)
	if err := deliver(t, w, deliveries, nil); err != nil {
		t.Fatal(err)
	}
	insights := insightFixture(now)
	for _, in := range append(insights, insights[0], insights[2]) { // two redelivered
		if err := w.WriteInsight(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}

	t.Run("raw table holds every delivery", func(t *testing.T) {
		got := query(t, c, "SELECT COUNT(*) AS n FROM pulse.orders")[0]["n"].(int64)
		if int(got) != len(deliveries) {
			t.Fatalf("orders has %d rows, want %d deliveries (the emulator keeps duplicates)", got, len(deliveries))
		}
	})

	t.Run("dedup view counts and revenue per tenant and day", func(t *testing.T) {
		type agg struct {
			n   int64
			sum *big.Rat
		}
		want := map[dayKey]*agg{}
		for _, o := range orders {
			k := dayKey{o.TenantID, o.OccurredAt.UTC().Format(time.DateOnly), o.Currency}
			if want[k] == nil {
				want[k] = &agg{sum: new(big.Rat)}
			}
			want[k].n++
			want[k].sum.Add(want[k].sum, rat(o.Amount, o.Currency))
		}
		rows := query(t, c, `SELECT tenant_id, DATE(occurred_at) AS day, currency, COUNT(*) AS n, SUM(total_amount) AS revenue
			FROM pulse.orders_dedup GROUP BY tenant_id, day, currency`)
		if len(rows) != len(want) {
			t.Errorf("%d (tenant, day, currency) groups, want %d", len(rows), len(want))
		}
		for _, r := range rows {
			k := dayKey{r["tenant_id"].(string), r["day"].(civil.Date).String(), r["currency"].(string)}
			w := want[k]
			if w == nil {
				t.Errorf("unexpected group %v", k)
				continue
			}
			if r["n"].(int64) != w.n || r["revenue"].(*big.Rat).Cmp(w.sum) != 0 {
				t.Errorf("%v: %d orders, revenue %s; want %d, %s", k, r["n"], r["revenue"].(*big.Rat).FloatString(4), w.n, w.sum.FloatString(4))
			}
		}
	})

	t.Run("daily metrics view", func(t *testing.T) {
		want := dailyMetrics(orders)
		rows := query(t, c, "SELECT * FROM pulse.daily_metrics")
		if len(rows) != len(want) {
			t.Errorf("%d rows, want %d", len(rows), len(want))
		}
		for _, r := range rows {
			k := dayKey{r["tenant_id"].(string), r["day"].(civil.Date).String(), r["currency"].(string)}
			m, ok := want[k]
			if !ok {
				t.Errorf("unexpected row %v", k)
				continue
			}
			if r["orders"].(int64) != m.Orders || r["completed_orders"].(int64) != m.CompletedOrders ||
				r["unique_customers"].(int64) != m.UniqueCustomers ||
				r["completed_revenue"].(*big.Rat).Cmp(rat(m.CompletedRevenue, m.Currency)) != 0 ||
				r["refunded_amount"].(*big.Rat).Cmp(rat(m.RefundedAmount, m.Currency)) != 0 ||
				r["average_order_value"].(*big.Rat).Cmp(rat(m.AverageOrderValue(), m.Currency)) != 0 {
				t.Errorf("%v: got %v\nwant orders %d completed %d revenue %s aov %s customers %d", k, r,
					m.Orders, m.CompletedOrders, rat(m.CompletedRevenue, m.Currency).FloatString(4),
					rat(m.AverageOrderValue(), m.Currency).FloatString(4), m.UniqueCustomers)
			}
		}
	})

	t.Run("customer segments view", func(t *testing.T) {
		rows := query(t, c, "SELECT customer_id, segment FROM pulse.customer_segments WHERE tenant_id = 'segments'")
		got := map[string]string{}
		for _, r := range rows {
			got[fmt.Sprint(r["customer_id"])] = fmt.Sprint(r["segment"])
		}
		customers := 0
		for _, s := range seg {
			if s.customer == "" {
				continue // the guest's orders must not appear at all
			}
			customers++
			if got[s.customer] != s.want {
				t.Errorf("customer %s (%s): segment %q, want %q", s.customer, s.why, got[s.customer], s.want)
			}
		}
		if len(got) != customers {
			t.Errorf("%d customers segmented, want %d (guests have none): %v", len(got), customers, got)
		}
	})

	t.Run("insight views", func(t *testing.T) {
		raw := query(t, c, "SELECT COUNT(*) AS n FROM pulse.insights")[0]["n"].(int64)
		dedup := query(t, c, "SELECT COUNT(*) AS n FROM pulse.insights_dedup")[0]["n"].(int64)
		if raw != 2 || dedup != 1 {
			t.Errorf("insights: %d raw, %d deduplicated; want 2 and 1", raw, dedup)
		}
		rows := query(t, c, "SELECT revision, completed_revenue FROM pulse.tenant_metrics_latest")
		if len(rows) != 1 || rows[0]["revision"].(int64) != 1 || rows[0]["completed_revenue"].(*big.Rat).Cmp(rat(insights[1].Metrics.CompletedRevenue, "USD")) != 0 {
			t.Errorf("tenant_metrics_latest: %v, want revision 1 only", rows)
		}
	})
}

// dailyMetrics recomputes the daily_metrics view from unique orders.
func dailyMetrics(orders []events.Order) map[dayKey]*events.WindowMetrics {
	out := map[dayKey]*events.WindowMetrics{}
	customers := map[dayKey]map[string]bool{}
	for _, o := range orders {
		k := dayKey{o.TenantID, o.OccurredAt.UTC().Format(time.DateOnly), o.Currency}
		m := out[k]
		if m == nil {
			m = &events.WindowMetrics{Currency: o.Currency}
			out[k] = m
			customers[k] = map[string]bool{}
		}
		switch o.Type {
		case events.OrderCreated:
			m.Orders++
			if o.CustomerID != "" {
				customers[k][o.CustomerID] = true
			}
		case events.OrderCompleted:
			m.CompletedOrders++
			m.CompletedRevenue += o.Amount
		case events.OrderRefunded:
			m.RefundedAmount += o.Amount
		}
		m.UniqueCustomers = int64(len(customers[k]))
	}
	return out
}

type segmentCase struct {
	customer, want, why string
	orders              []events.Order
}

// segmentFixture crafts one customer per segment rule (and the edges between
// them) for tenant "segments", relative to now. Ages keep days away from the
// 30/60/90 boundaries, so a one-day difference in how "days since" is
// counted cannot change the outcome.
func segmentFixture(now time.Time) []segmentCase {
	n := 0
	ev := func(customer, orderID string, typ events.EventType, amount int64, daysAgo int) events.Order {
		n++
		return events.Order{EventID: fmt.Sprintf("seg-%03d", n), Type: typ, TenantID: "segments", OrderID: orderID, CustomerID: customer,
			Amount: amount, Currency: "USD", OccurredAt: now.Add(-time.Duration(daysAgo)*24*time.Hour - time.Hour).Truncate(time.Microsecond)}
	}
	buy := func(customer, orderID string, amount int64, daysAgo int) []events.Order {
		return []events.Order{ev(customer, orderID, events.OrderCreated, amount, daysAgo), ev(customer, orderID, events.OrderCompleted, amount, daysAgo)}
	}
	cat := func(xs ...[]events.Order) []events.Order {
		var out []events.Order
		for _, x := range xs {
			out = append(out, x...)
		}
		return out
	}
	return []segmentCase{
		{"vip", "VIP_Active", "1100.00 spent, last order 5 days ago", cat(buy("vip", "v1", 60000, 20), buy("vip", "v2", 50000, 5))},
		{"vip-edge", "High_Value", "exactly 1000.00 is not over 1000", cat(buy("vip-edge", "ve1", 100000, 5), buy("vip-edge", "ve2", 0, 4))},
		{"vip-stale", "High_Value", "1500.00 spent but last order 45 days ago", cat(buy("vip-stale", "vs1", 150000, 45), buy("vip-stale", "vs2", 1, 45))},
		{"refunded", "High_Value", "1200.00 completed less 300.00 refunded", cat(buy("refunded", "r1", 120000, 10), []events.Order{ev("refunded", "r1", events.OrderRefunded, 30000, 9)})},
		{"high", "High_Value", "700.00 spent, 40 days ago", cat(buy("high", "h1", 70000, 40))},
		{"high-stale", "Regular", "700.00 spent, 75 days ago: neither recent nor at risk", cat(buy("high-stale", "hs1", 35000, 80), buy("high-stale", "hs2", 35000, 75))},
		{"lapsed", "At_Risk", "2000.00 spent, last order 120 days ago", cat(buy("lapsed", "l1", 200000, 150), buy("lapsed", "l2", 1, 120))},
		{"lapsed-new", "At_Risk", "one order, but 100 days ago", buy("lapsed-new", "ln1", 1000, 100)},
		{"new", "New_Customer", "exactly one order", buy("new", "n1", 5000, 10)},
		{"new-cancelled", "New_Customer", "one order, cancelled", []events.Order{ev("new-cancelled", "nc1", events.OrderCreated, 5000, 3), ev("new-cancelled", "nc1", events.OrderCancelled, 5000, 3)}},
		{"regular", "Regular", "two small orders", cat(buy("regular", "g1", 10000, 20), buy("regular", "g2", 10000, 10))},
		{"", "", "guest: no segment", buy("", "guest1", 500000, 1)},
	}
}

func insightFixture(now time.Time) []events.Insight {
	win := events.Window{Start: now.Truncate(time.Hour).Add(-time.Hour), Size: "1h"}
	win.End = win.Start.Add(time.Hour)
	m0 := &events.WindowMetrics{Currency: "USD", Orders: 4, CompletedOrders: 3, CompletedRevenue: 30001, Revenue: 30001, UniqueCustomers: 2, UniqueCustomersExact: true}
	m1 := *m0
	m1.CompletedOrders, m1.CompletedRevenue, m1.Revenue, m1.LateEvents = 4, 40002, 40002, 1
	mk := func(kind events.Kind, rev int, m *events.WindowMetrics) events.Insight {
		return events.Insight{SchemaVersion: 1, InsightID: events.InsightID("acme", kind, "", "USD", win, rev), TenantID: "acme", Kind: kind,
			Currency: "USD", Window: win, Revision: rev, Metrics: m, GeneratedAt: win.End, Severity: events.SeverityInfo}
	}
	anomaly := mk(events.KindAnomalyOpened, 0, nil)
	anomaly.Metric, anomaly.Observed, anomaly.Expected, anomaly.Score = "revenue", 400.02, 120, 6.5
	return []events.Insight{mk(events.KindWindowMetrics, 0, m0), mk(events.KindWindowCorrection, 1, &m1), anomaly}
}
