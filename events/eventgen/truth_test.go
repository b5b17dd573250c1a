package eventgen

import (
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// TestTruthIsConsistentAcrossWindowSizes recomputes daily truth from hourly
// truth, and both against a direct count of the messages.
func TestTruthIsConsistentAcrossWindowSizes(t *testing.T) {
	_, msgs := drain(t, Config{Seed: 21, Tenants: 10, Duration: 3 * 24 * time.Hour})
	hourly, daily := NewTruth(time.Hour), NewTruth(24*time.Hour)
	var created, completedRevenue int64
	for i := range msgs {
		hourly.Add(&msgs[i])
		daily.Add(&msgs[i])
		if m := msgs[i]; m.Order != nil && !m.Duplicate {
			switch m.Order.Type {
			case events.OrderCreated:
				created++
			case events.OrderCompleted:
				completedRevenue += m.Order.Amount
			}
		}
	}
	rolled := map[TruthKey]*events.WindowMetrics{}
	for k, h := range hourly.Windows() {
		k.Start = k.Start.Truncate(24 * time.Hour)
		r := rolled[k]
		if r == nil {
			r = &events.WindowMetrics{Currency: k.Currency}
			rolled[k] = r
		}
		r.Orders += h.Orders
		r.CompletedOrders += h.CompletedOrders
		r.CancelledOrders += h.CancelledOrders
		r.RefundedOrders += h.RefundedOrders
		r.CompletedRevenue += h.CompletedRevenue
		r.RefundedAmount += h.RefundedAmount
		r.Revenue += h.Revenue
		r.ItemsSold += h.ItemsSold
		r.UniqueCustomers += h.UniqueCustomers // an upper bound of the daily count
	}
	var orders, revenue int64
	for k, d := range daily.Windows() {
		r := rolled[k]
		if r == nil {
			t.Fatalf("day %v missing from hourly truth", k)
		}
		if d.Orders != r.Orders || d.CompletedRevenue != r.CompletedRevenue || d.Revenue != r.Revenue ||
			d.ItemsSold != r.ItemsSold || d.RefundedAmount != r.RefundedAmount || d.CancelledOrders != r.CancelledOrders {
			t.Errorf("%v: daily %+v, hours add up to %+v", k, d, *r)
		}
		if d.UniqueCustomers > r.UniqueCustomers || d.UniqueCustomers > d.Orders {
			t.Errorf("%v: %d unique customers, %d orders, hourly sum %d", k, d.UniqueCustomers, d.Orders, r.UniqueCustomers)
		}
		orders += d.Orders
		revenue += d.CompletedRevenue
	}
	if orders != created || revenue != completedRevenue {
		t.Errorf("truth counts %d orders and %d completed revenue, messages %d and %d", orders, revenue, created, completedRevenue)
	}
	if len(rolled) != len(daily.Windows()) {
		t.Errorf("%d days from hours, %d days", len(rolled), len(daily.Windows()))
	}
}
