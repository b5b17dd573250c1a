package api

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors"
)

// TestMetricsOpenWindowFromTheEngine runs orders through real shards and
// windows engines: /metrics lists the closed hour, then the open hour last,
// marked partial, with the figures the engine holds; when the hour closes
// (idle), its closed figures are the partial ones.
func TestMetricsOpenWindowFromTheEngine(t *testing.T) {
	open := &processors.OpenWindows{}
	f := newFixture(t, func(c *Config) { c.Open = open })
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	out := processors.NewOutputs(processors.OutputsConfig{Workers: 1}, nopPublisher{}, nil, log)
	out.Observe(f.srv.Observe)
	shards := processors.NewShards(processors.ShardsConfig{Shards: 2, TickInterval: 20 * time.Millisecond, Now: f.clock.now},
		func(int) processors.ShardState {
			ws, err := processors.NewWindowState(processors.WindowStateConfig{}, out.Emit, processors.NewStats(), log)
			if err != nil {
				t.Fatal(err)
			}
			return ws
		}, processors.NewStats())
	defer func() {
		if err := shards.Close(context.Background()); err != nil {
			t.Error(err)
		}
		if err := out.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}()

	ctx := context.Background()
	var page MetricsPage
	if _, err := open.Open(ctx, "acme", "1h", fixedNow); err == nil {
		t.Fatal("open windows before the shards are attached")
	}
	open.Attach(shards)
	if got, err := open.Open(ctx, "acme", "7m", fixedNow); err != nil || got != nil {
		t.Fatalf("a size the engine does not compute: %v %v", got, err)
	}

	dec := events.NewDecoder(events.Limits{MaxAge: -1})
	hour := fixedNow.Truncate(time.Hour) // 10:00; now is 10:17:30
	apply := func(id, typ, amount string, at time.Time) {
		t.Helper()
		if err := shards.Apply(ctx, order(t, dec, id, typ, amount, at)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 4 { // the previous hour: 4 orders of 10.00
		at := hour.Add(-time.Hour + time.Duration(i)*10*time.Minute)
		apply(fmt.Sprintf("p%d", i), "order.created", "10.00", at)
		apply(fmt.Sprintf("p%d", i), "order.completed", "10.00", at.Add(time.Minute))
	}
	for i := range 3 { // this hour so far: 3 orders of 12.34, one refunded
		at := hour.Add(time.Duration(i) * 5 * time.Minute)
		apply(fmt.Sprintf("n%d", i), "order.created", "12.34", at)
		apply(fmt.Sprintf("n%d", i), "order.completed", "12.34", at.Add(time.Minute))
	}
	apply("n0", "order.refunded", "2.34", hour.Add(15*time.Minute))

	// The watermark (10:14) closes the previous hour at the next tick.
	waitUntil(t, "the previous hour closed", func() bool {
		page = MetricsPage{}
		f.get(t, secretAll, "/v1/tenants/acme/metrics?window=1h", &page)
		return len(page.Items) > 0 && !page.Items[0].Partial
	})
	if len(page.Items) != 2 {
		t.Fatalf("want the closed hour then the open one: %+v", page.Items)
	}
	closed, part := page.Items[0], page.Items[1]
	if !closed.Window.Start.Equal(hour.Add(-time.Hour)) || closed.Metrics.Orders != 4 || closed.Metrics.Revenue != 4000 {
		t.Fatalf("closed hour: %+v %+v", closed, closed.Metrics)
	}
	if !part.Partial || !part.Window.Start.Equal(hour) || part.Revision != 0 {
		t.Fatalf("open hour: %+v", part)
	}
	m := part.Metrics
	if m.Orders != 3 || m.CompletedOrders != 3 || m.RefundedOrders != 1 || m.Revenue != 3*1234-234 || m.UniqueCustomers != 3 || m.ItemsSold != 6 {
		t.Fatalf("open hour figures: %+v", m)
	}
	if page.PartialUnavailable != "" {
		t.Fatalf("partial_unavailable %q", page.PartialUnavailable)
	}
	// A range ending before now lists no open window.
	var past MetricsPage
	f.get(t, secretAll, q("/v1/tenants/acme/metrics", "window", "1h", "to", "10m"), &past)
	for _, it := range past.Items {
		if it.Partial {
			t.Fatalf("a range in the past lists an open window: %+v", past.Items)
		}
	}

	// Nothing more arrives; once the tenant is idle the hour closes with
	// the figures the partial window showed.
	f.clock.add(time.Hour)
	waitUntil(t, "the open hour closed", func() bool {
		page = MetricsPage{}
		f.get(t, secretAll, "/v1/tenants/acme/metrics?window=1h&from=3h", &page)
		return len(page.Items) == 2 && !page.Items[1].Partial
	})
	if got := page.Items[1]; !got.Window.Start.Equal(hour) || got.Revision != 1 || *got.Metrics != *m {
		t.Fatalf("closed hour %+v %+v, partial was %+v", got, got.Metrics, m)
	}
}

// waitUntil polls cond every 10ms for up to 20s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
