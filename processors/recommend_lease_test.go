package processors

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/recommend"
	"github.com/olympus-cloud/pulse/windows"
	"github.com/olympus-cloud/pulse/windows/redisstore"
)

// In distributed mode each replica's bought-together model learns from the
// orders it received, so only the holder of a tenant's closing lease
// announces its recommendations: one insight per id reaches consumers.
func TestOnlyTheLeaseHolderAnnouncesRecommendations(t *testing.T) {
	ctx := context.Background()
	const shards = 4
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var orders []*events.Order
	for i := range 40 {
		items := []events.Item{{SKU: "SKU-1", Quantity: 1, UnitPrice: 500}, {SKU: "SKU-7", Quantity: 1, UnitPrice: 500}}
		if i%2 == 1 {
			items = []events.Item{{SKU: fmt.Sprint("F-", i%10), Quantity: 1, UnitPrice: 500}, {SKU: fmt.Sprint("F-", (i+3)%10), Quantity: 1, UnitPrice: 500}}
		}
		orders = append(orders, &events.Order{EventID: fmt.Sprint("e", i), OrderID: fmt.Sprint("o", i), TenantID: "acme",
			Type: events.OrderCompleted, OccurredAt: base.Add(time.Duration(i) * time.Minute), CustomerID: fmt.Sprint("c", i),
			Currency: "USD", Amount: 1000, Items: items})
	}
	announced := func(holds bool) int {
		rs := openRedis(t)
		if !holds {
			// Another replica holds every lease shard.
			other, err := redisstore.NewLeases(rs, redisstore.LeasesConfig{Shards: shards, TTL: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if err := other.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		leases, err := redisstore.NewLeases(rs, redisstore.LeasesConfig{Shards: shards, TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if err := leases.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		n := 0
		cfg := WindowStateConfig{Recommend: recommend.Config{InsightPeriod: time.Hour},
			Windows: windows.Config{Distributed: &windows.Distributed{Remote: rs, Leases: leases, Shards: shards}}}
		ws, err := NewWindowState(cfg, func(in events.Insight) {
			if in.Kind == recommend.KindRecommendation {
				n++
			}
		}, NewStats(), zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		now := base.Add(time.Hour)
		errs := make([]error, len(orders))
		ws.ApplyBatch(orders, now, errs)
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := ws.Recommendations().Stats(); got.Completed != 40 {
			t.Fatalf("the model learned nothing: %+v", got)
		}
		if err := ws.Advance(now); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := announced(true); n != 1 {
		t.Fatalf("the lease holder announced %d recommendation insights, want 1 (SKU-1 with SKU-7, lift 2)", n)
	}
	if n := announced(false); n != 0 {
		t.Fatalf("a replica without the lease announced %d recommendation insights", n)
	}
}
