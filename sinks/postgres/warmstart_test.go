package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/olympus-cloud/pulse/events"
)

// The shipped fixture, checked by hand (see its header).
func TestWarmStartFixture(t *testing.T) {
	s, schema := openTest(t)
	ctx := context.Background()
	table := createOrders(t, s, schema)
	fx, err := os.ReadFile("../../testdata/postgres/commerce_orders_fixture.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, strings.ReplaceAll(string(fx), "commerce.", schema+".")); err != nil {
		t.Fatal(err)
	}
	cfg := WarmConfig{OrdersTable: table}
	now := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
	got, err := s.WarmStart(ctx, cfg, "shop-a", "USD", nil, []string{"1h", "1d"}, now)
	if err != nil {
		t.Fatal(err)
	}
	hour := func(h int) events.Window {
		st := time.Date(2026, 3, 2, h, 0, 0, 0, time.UTC)
		return events.Window{Start: st, End: st.Add(time.Hour), Size: "1h"}
	}
	want := []PastWindow{
		{hour(10), events.WindowMetrics{Currency: "USD", Orders: 3, CompletedOrders: 2, CancelledOrders: 1,
			CompletedRevenue: 1999 + 501, Revenue: 1999 + 501, UniqueCustomers: 2, UniqueCustomersExact: true}},
		{hour(11), events.WindowMetrics{Currency: "USD", Orders: 2, CompletedOrders: 1, RefundedOrders: 1,
			CompletedRevenue: 4000, RefundedAmount: 4000, Revenue: 0, UniqueCustomers: 1, UniqueCustomersExact: true}},
	}
	if fmt.Sprintf("%+v", got["1h"]) != fmt.Sprintf("%+v", want) {
		t.Errorf("hourly:\n got  %+v\n want %+v", got["1h"], want)
	}
	if d := got["1d"]; len(d) != 1 || d[0].Metrics.Orders != 5 || d[0].Metrics.UniqueCustomers != 3 {
		t.Errorf("daily %+v: want one day of 5 orders, 3 customers", d)
	}

	// 23:30 UTC on the 1st is the 2nd in Tokyo: the calendar day follows
	// the zone.
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	got, err = s.WarmStart(ctx, cfg, "shop-b", "JPY", tokyo, []string{"1d"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if d := got["1d"]; len(d) != 1 || !d[0].Window.Start.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, tokyo)) || d[0].Metrics.Revenue != 100 {
		t.Errorf("shop-b in Tokyo, JPY (no minor digits): %+v", d)
	}
	// The window containing now is still open live: not in the history.
	got, err = s.WarmStart(ctx, cfg, "shop-a", "USD", nil, []string{"1h"}, hour(11).Start.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(got["1h"]) != 1 || !got["1h"][0].Window.Start.Equal(hour(10).Start) {
		t.Errorf("history up to 11:10 is %+v, want only the 10:00 window", got["1h"])
	}
	tenants, err := s.HistoryTenants(ctx, cfg, now.Add(-7*24*time.Hour))
	if err != nil || fmt.Sprint(tenants) != "[shop-a shop-b]" {
		t.Errorf("history tenants %v %v", tenants, err)
	}
	if _, err := s.WarmStart(ctx, cfg, "shop-a", "USD", nil, []string{"1h/5m"}, now); err == nil {
		t.Error("a hopping size was accepted")
	}
}

type order struct {
	customer string
	status   string
	mills    int64 // thousandths of the currency unit: exercises rounding
	at       time.Time
}

// WarmStart against a brute-force aggregation of random orders, across a
// DST change in the tenant's zone.
func TestWarmStartMatchesBruteForce(t *testing.T) {
	s, schema := openTest(t)
	ctx := context.Background()
	table := createOrders(t, s, schema)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Date(2026, 3, 12, 15, 20, 0, 0, time.UTC) // DST began 2026-03-08 in New York
	statuses := []string{"completed", "completed", "completed", "cancelled", "canceled", "refunded", "pending"}
	var orders []order
	var rows [][]any
	for range 3000 {
		o := order{
			customer: fmt.Sprintf("c%d", rng.IntN(200)),
			status:   statuses[rng.IntN(len(statuses))],
			mills:    rng.Int64N(500_000),
			at:       now.Add(-time.Duration(rng.Int64N(int64(10 * 24 * time.Hour)))).Truncate(time.Millisecond),
		}
		if rng.IntN(10) == 0 {
			o.customer = ""
		}
		orders = append(orders, o)
		rows = append(rows, []any{"shop-a", o.customer, o.status, fmt.Sprintf("%d.%03d", o.mills/1000, o.mills%1000), o.at})
	}
	rows = append(rows, []any{"shop-b", "c1", "completed", "1.00", now.Add(-time.Hour)}) // another tenant
	if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{schema, "orders"}, []string{"tenant_id", "customer_id", "status", "total_amount", "created_at"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	sizes := []string{"5m", "1h", "1d"}
	got, err := s.WarmStart(ctx, WarmConfig{OrdersTable: table}, "shop-a", "USD", ny, sizes, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range sizes {
		want := bruteForce(orders, size, ny, now)
		if len(got[size]) != len(want) {
			t.Errorf("%s: %d windows, want %d", size, len(got[size]), len(want))
			continue
		}
		for i := range want {
			if g, w := fmt.Sprintf("%+v", got[size][i]), fmt.Sprintf("%+v", want[i]); g != w {
				t.Errorf("%s window %d:\n got  %s\n want %s", size, i, g, w)
				break
			}
		}
	}
}

func bruteForce(orders []order, size string, zone *time.Location, now time.Time) []PastWindow {
	bucket := func(at time.Time) events.Window {
		if size == "1d" {
			y, m, d := at.In(zone).Date()
			return events.Window{Start: time.Date(y, m, d, 0, 0, 0, 0, zone).UTC(), End: time.Date(y, m, d+1, 0, 0, 0, 0, zone).UTC(), Size: size}
		}
		step, _ := time.ParseDuration(size)
		st := at.Truncate(step).UTC()
		return events.Window{Start: st, End: st.Add(step), Size: size}
	}
	open := bucket(now)
	byStart := map[time.Time]*PastWindow{}
	customers := map[time.Time]map[string]bool{}
	var starts []time.Time
	for _, o := range orders {
		w := bucket(o.at)
		if !w.Start.Before(open.Start) {
			continue
		}
		p := byStart[w.Start]
		if p == nil {
			p = &PastWindow{Window: w, Metrics: events.WindowMetrics{Currency: "USD", UniqueCustomersExact: true}}
			byStart[w.Start], customers[w.Start] = p, map[string]bool{}
			starts = append(starts, w.Start)
		}
		m := &p.Metrics
		minor := (o.mills + 5) / 10 // half away from zero, amounts are positive
		m.Orders++
		switch o.status {
		case "completed":
			m.CompletedOrders++
			m.CompletedRevenue += minor
		case "refunded":
			m.CompletedOrders++
			m.CompletedRevenue += minor
			m.RefundedOrders++
			m.RefundedAmount += minor
		case "cancelled", "canceled":
			m.CancelledOrders++
		}
		m.Revenue = m.CompletedRevenue - m.RefundedAmount
		if o.customer != "" && !customers[w.Start][o.customer] {
			customers[w.Start][o.customer] = true
			m.UniqueCustomers++
		}
	}
	out := make([]PastWindow, 0, len(starts))
	for _, st := range starts {
		out = append(out, *byStart[st])
	}
	slices.SortFunc(out, func(a, b PastWindow) int { return a.Window.Start.Compare(b.Window.Start) })
	return out
}
