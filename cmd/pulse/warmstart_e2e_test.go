package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
)

// A tenant with order history in the commerce platform's table is scored
// from its first live window; a tenant without history is still warming up
// on the same traffic.
func TestWarmStartScoresTheFirstLiveWindow(t *testing.T) {
	dsn, schema := pgSchema(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := time.Now().UTC()
	hour := now.Truncate(time.Hour)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	table := schema + ".orders"
	// 30 days of steady history for acme: 20 completed $50 orders an hour,
	// ending two hours ago, so the previous hour is the first live one.
	for _, q := range []string{
		`CREATE TABLE ` + table + ` (order_id bigserial PRIMARY KEY, tenant_id text NOT NULL, customer_id text,
			status text NOT NULL, total_amount numeric(14,4) NOT NULL, created_at timestamptz NOT NULL)`,
		fmt.Sprintf(`INSERT INTO %s (tenant_id, customer_id, status, total_amount, created_at)
			SELECT 'acme', 'c' || (g %% 60), 'completed', 50.00,
			       $1::timestamptz - interval '30 days' + (g / 20) * interval '1 hour' + (g %% 20) * interval '2 minutes'
			FROM generate_series(0, 20 * 24 * 30 - 20 * 2 - 1) g`, table),
	} {
		var args []any
		if len(q) > 30 && q[:6] == "INSERT" {
			args = []any{hour}
		}
		if _, err := conn.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	conn.Close(ctx)

	cfg := testRunConfig(t)
	cfg.DetectSizes = []string{"1h"}
	cfg.IdleTimeout = time.Second
	cfg.PostgresFlags = PostgresFlags{PostgresURL: dsn, MigrateOnStart: true, SettingsRefresh: time.Second,
		StartTimeout: 20 * time.Second, WarmStart: true, OrdersTable: table}
	p, stop := startTestPipeline(t, ctx, cfg, zerolog.WarnLevel)
	defer stop()
	insights := subscribeAll(t, ctx, p, cfg.InsightsTopic, "test-insights")

	// The previous hour, live: 200 orders for both tenants, ten times acme's
	// usual hour.
	pub := p.conn.Client.Publisher(cfg.OrdersTopic)
	defer pub.Stop()
	start := hour.Add(-time.Hour)
	var n int
	for _, tenant := range []string{"acme", "fresh"} {
		for i := range 200 {
			at := start.Add(time.Duration(i) * 15 * time.Second)
			for _, typ := range []events.EventType{events.OrderCreated, events.OrderCompleted} {
				o := events.Order{EventID: fmt.Sprintf("%s-%d-%d", tenant, i, typ), Type: typ, TenantID: tenant,
					OrderID: fmt.Sprintf("o%d", i), CustomerID: fmt.Sprintf("c%d", i%60), Amount: 5000, Currency: "USD", OccurredAt: at}
				b, _ := o.MarshalJSON()
				if _, err := pub.Publish(ctx, &pubsub.Message{Data: b, Attributes: o.Attributes()}).Get(ctx); err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
	}
	waitFor(t, 60*time.Second, "every live event acked", func() bool { return p.stats.Acked.Load() >= int64(n) })
	opened := func() map[string]bool {
		insights.mu.Lock()
		defer insights.mu.Unlock()
		out := map[string]bool{}
		for _, m := range insights.msgs {
			var in events.Insight
			if json.Unmarshal(m.Data, &in) == nil && in.Kind == events.KindAnomalyOpened && in.Window.Start.Equal(start) {
				out[in.TenantID] = true
			}
		}
		return out
	}
	waitFor(t, 90*time.Second, "an anomaly on acme's first live hour", func() bool { return opened()["acme"] })
	if opened()["fresh"] {
		t.Fatal("a tenant without history alerted during its warm-up")
	}
}
