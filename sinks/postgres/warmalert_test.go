package postgres_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/detect"
	"github.com/olympus-cloud/pulse/sinks/postgres"
)

// A tenant with 30 days of orders in commerce.orders, warm-started into the
// detectors, gets anomaly.opened on its first anomalous live window; a
// tenant without history, sent the same live windows, stays in warm-up.
// (An external test: sinks do not import processors, the wiring does.)
func TestWarmStartAlertsFromFirstWindow(t *testing.T) {
	dsn, schema := schemaFor(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, dsn, zerolog.New(zerolog.NewTestWriter(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	ddl, err := os.ReadFile("../../testdata/postgres/commerce_orders.sql")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	sql := strings.ReplaceAll(strings.ReplaceAll(string(ddl), "CREATE SCHEMA IF NOT EXISTS commerce;", ""), "commerce.", schema+".")
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}

	// 30 days of hourly traffic for "veteran": a daily cycle around 20
	// orders an hour, Poisson noise, $20-$60 baskets.
	now := time.Date(2026, 4, 1, 0, 5, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(7, 7))
	var rows [][]any
	hourly := func(h time.Time) int {
		return poisson(rng, 20+8*float64(h.Hour()%24-12)/12) // 12..28 an hour
	}
	for h := now.Truncate(time.Hour).Add(-30 * 24 * time.Hour); h.Before(now.Truncate(time.Hour)); h = h.Add(time.Hour) {
		for range hourly(h) {
			status := "completed"
			if rng.IntN(20) == 0 {
				status = "cancelled"
			}
			rows = append(rows, []any{"veteran", fmt.Sprintf("c%d", rng.IntN(5000)), status,
				fmt.Sprintf("%d.%02d", 20+rng.IntN(40), rng.IntN(100)), h.Add(time.Duration(rng.Int64N(int64(time.Hour))))})
		}
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{schema, "orders"}, []string{"tenant_id", "customer_id", "status", "total_amount", "created_at"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}

	mon, err := detect.NewMonitor(detect.MonitorConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := postgres.WarmConfig{OrdersTable: schema + ".orders"}
	tenants, err := s.HistoryTenants(ctx, cfg, now.Add(-35*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(tenants) != "[veteran]" {
		t.Fatalf("tenants with history %v", tenants)
	}
	for _, tenant := range []string{"veteran", "newcomer"} {
		past, err := s.WarmStart(ctx, cfg, tenant, "USD", time.UTC, []string{"1h"}, now)
		if err != nil {
			t.Fatal(err)
		}
		seeded := 0
		for _, p := range past["1h"] {
			if mon.Seed(tenant, p.Window, p.Metrics) {
				seeded++
			}
		}
		if tenant == "veteran" && seeded < 24*29 {
			t.Fatalf("seeded %d hours of 30 days", seeded)
		}
		if tenant == "newcomer" && seeded != 0 {
			t.Fatalf("newcomer seeded %d windows from nothing", seeded)
		}
	}

	// Live: two ordinary hours, then an hour where orders collapse to a
	// fifth. The same figures go to both tenants.
	live := func(h int, scale float64) (events.Window, events.WindowMetrics) {
		st := now.Truncate(time.Hour).Add(time.Duration(h) * time.Hour)
		n := int64(float64(hourly(st)) * scale)
		m := events.WindowMetrics{Currency: "USD", Orders: n, CompletedOrders: n, CompletedRevenue: n * 4000,
			Revenue: n * 4000, UniqueCustomers: n, UniqueCustomersExact: true}
		return events.Window{Start: st, End: st.Add(time.Hour), Size: "1h"}, m
	}
	for h, scale := range []float64{1, 1, 0.2} {
		w, m := live(h, scale)
		for _, tenant := range []string{"veteran", "newcomer"} {
			ins := mon.Observe(tenant, w, m, w.End)
			opened := 0
			for _, in := range ins {
				if in.Kind == events.KindAnomalyOpened {
					opened++
					if in.History == 0 {
						t.Errorf("%s: insight scored against no history", tenant)
					}
				}
			}
			switch {
			case tenant == "newcomer" && len(ins) > 0:
				t.Errorf("hour %d: newcomer alerted during warm-up: %+v", h, ins)
			case tenant == "veteran" && scale == 1 && opened > 0:
				t.Errorf("hour %d: veteran alerted on an ordinary hour: %+v", h, ins)
			case tenant == "veteran" && scale < 1 && opened == 0:
				t.Errorf("hour %d: veteran's collapse did not open an incident (insights %+v)", h, ins)
			}
		}
	}
}

// poisson draws a Poisson variate (Knuth; means here are small).
func poisson(rng *rand.Rand, mean float64) int {
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p < l {
			return k
		}
		k++
	}
}
