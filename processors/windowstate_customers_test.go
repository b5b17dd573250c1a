package processors

import (
	"errors"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/analytics"
)

// flakyCustomers fails its first Apply, as a shared store does when Redis
// is briefly unreachable, then delegates to memory.
type flakyCustomers struct {
	*analytics.MemoryCustomers
	failed bool
}

func (f *flakyCustomers) Apply(b []analytics.CustomerUpdate, out []analytics.CustomerOutcome) error {
	if !f.failed {
		f.failed = true
		return errors.New("redis: connection refused")
	}
	return f.MemoryCustomers.Apply(b, out)
}

// With a shared customer store, an order whose customer update failed is
// nacked, and its redelivery — a duplicate to the windows by then — still
// reaches the store, once.
func TestWindowStateRetriesSharedCustomerUpdate(t *testing.T) {
	var segs []events.Insight
	cfg := WindowStateConfig{}
	cfg.Analytics.Customers = &flakyCustomers{MemoryCustomers: analytics.NewMemoryCustomers(0)}
	cfg.Analytics.EmitFirstSegment = true
	ws, err := NewWindowState(cfg, func(in events.Insight) {
		if in.Kind == analytics.KindSegmentChanged {
			segs = append(segs, in)
		}
	}, NewStats(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	o := &events.Order{EventID: "e1", Type: events.OrderCompleted, TenantID: "shop", OrderID: "o1",
		CustomerID: "c1", Amount: 1500, Currency: "USD", OccurredAt: now.Add(-time.Minute)}
	if err := ws.Apply(o, now); err == nil {
		t.Fatal("the store's failure was not returned (the message would be acked)")
	}
	for range 2 { // redelivered, twice
		res, err := ws.ApplyOrder(o, now)
		if err != nil || !res.Duplicate {
			t.Fatalf("redelivery: %+v, %v", res, err)
		}
	}
	if len(segs) != 1 || segs[0].Subject != "c1" {
		t.Fatalf("segment insights %+v, want c1's first segment once", segs)
	}
}
