package events

import (
	"encoding/json"
	"testing"
)

func TestAverageOrderValueRounding(t *testing.T) {
	for _, c := range []struct {
		rev, n, want int64
	}{{1000, 3, 333}, {1001, 2, 501}, {999, 2, 500}, {-1001, 2, -501}, {0, 0, 0}, {10, 4, 3}} {
		m := WindowMetrics{CompletedRevenue: c.rev, CompletedOrders: c.n}
		if got := m.AverageOrderValue(); got != c.want {
			t.Errorf("AOV(%d/%d) = %d, want %d", c.rev, c.n, got, c.want)
		}
	}
}

func TestWindowMetricsJSONRoundTrip(t *testing.T) {
	m := WindowMetrics{Currency: "KWD", Orders: 3, CompletedOrders: 2, CancelledOrders: 1,
		RefundedOrders: 1, CompletedRevenue: 12345, RefundedAmount: 20000, Revenue: -7655,
		UniqueCustomers: 2, UniqueCustomersExact: true, ItemsSold: 7, LateEvents: 1}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var wire map[string]any
	if err := json.Unmarshal(b, &wire); err != nil {
		t.Fatal(err)
	}
	if wire["revenue"] != "-7.655" || wire["completed_revenue"] != "12.345" || wire["average_order_value"] != "6.173" {
		t.Fatalf("money not exact decimal text: %s", b)
	}
	if wire["cancellation_rate"].(float64) != 1.0/3 {
		t.Fatalf("cancellation_rate %v", wire["cancellation_rate"])
	}
	var back WindowMetrics
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back != m {
		t.Fatalf("round trip: %+v != %+v", back, m)
	}
}
