package events

import (
	json "github.com/goccy/go-json"
)

// WindowMetrics are the exact figures of one (tenant, window, currency).
// Money is in integer minor units of Currency; JSON renders it as decimal
// strings ("129.90") so no consumer ever sees a float amount.
type WindowMetrics struct {
	Currency        string
	Orders          int64 // order.created events
	CompletedOrders int64
	CancelledOrders int64
	RefundedOrders  int64
	// CompletedRevenue is the sum of completed amounts; RefundedAmount the
	// sum of refunded amounts; Revenue = CompletedRevenue - RefundedAmount.
	CompletedRevenue int64
	RefundedAmount   int64
	Revenue          int64
	// UniqueCustomers counts distinct non-empty customer ids of created
	// orders; exact when UniqueCustomersExact, else a HyperLogLog estimate.
	UniqueCustomers      int64
	UniqueCustomersExact bool
	ItemsSold            int64 // quantity over created orders' lines
	LateEvents           int64
}

// AverageOrderValue is CompletedRevenue / CompletedOrders in minor units,
// rounded half away from zero; 0 with no completed orders.
func (m *WindowMetrics) AverageOrderValue() int64 {
	if m.CompletedOrders == 0 {
		return 0
	}
	q, r := m.CompletedRevenue/m.CompletedOrders, m.CompletedRevenue%m.CompletedOrders
	if r < 0 {
		r = -r
	}
	if 2*r >= m.CompletedOrders {
		if m.CompletedRevenue < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

// CancellationRate is cancelled / (completed + cancelled): the share of
// orders that reached an outcome in the window and were cancelled. 0 when
// none did.
func (m *WindowMetrics) CancellationRate() float64 {
	d := m.CompletedOrders + m.CancelledOrders
	if d == 0 {
		return 0
	}
	return float64(m.CancelledOrders) / float64(d)
}

type wireMetrics struct {
	Currency             string  `json:"currency"`
	Orders               int64   `json:"orders"`
	CompletedOrders      int64   `json:"completed_orders"`
	CancelledOrders      int64   `json:"cancelled_orders"`
	RefundedOrders       int64   `json:"refunded_orders"`
	Revenue              string  `json:"revenue"`
	CompletedRevenue     string  `json:"completed_revenue"`
	RefundedAmount       string  `json:"refunded_amount"`
	AverageOrderValue    string  `json:"average_order_value"`
	UniqueCustomers      int64   `json:"unique_customers"`
	UniqueCustomersExact bool    `json:"unique_customers_exact"`
	ItemsSold            int64   `json:"items_sold"`
	CancellationRate     float64 `json:"cancellation_rate"`
	LateEvents           int64   `json:"late_events"`
}

// MarshalJSON renders money as exact decimal strings.
func (m WindowMetrics) MarshalJSON() ([]byte, error) {
	d, _ := MinorDigits(m.Currency)
	return json.Marshal(wireMetrics{
		Currency: m.Currency, Orders: m.Orders, CompletedOrders: m.CompletedOrders,
		CancelledOrders: m.CancelledOrders, RefundedOrders: m.RefundedOrders,
		Revenue: FormatMinor(m.Revenue, d), CompletedRevenue: FormatMinor(m.CompletedRevenue, d),
		RefundedAmount: FormatMinor(m.RefundedAmount, d), AverageOrderValue: FormatMinor(m.AverageOrderValue(), d),
		UniqueCustomers: m.UniqueCustomers, UniqueCustomersExact: m.UniqueCustomersExact,
		ItemsSold: m.ItemsSold, CancellationRate: m.CancellationRate(), LateEvents: m.LateEvents,
	})
}

// UnmarshalJSON reads what MarshalJSON writes, exactly.
func (m *WindowMetrics) UnmarshalJSON(b []byte) error {
	var w wireMetrics
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	d, ok := MinorDigits(w.Currency)
	if !ok {
		return invalid(ReasonUnknownCurrency, "currency", "%q", w.Currency)
	}
	var err error
	*m = WindowMetrics{
		Currency: w.Currency, Orders: w.Orders, CompletedOrders: w.CompletedOrders,
		CancelledOrders: w.CancelledOrders, RefundedOrders: w.RefundedOrders,
		UniqueCustomers: w.UniqueCustomers, UniqueCustomersExact: w.UniqueCustomersExact,
		ItemsSold: w.ItemsSold, LateEvents: w.LateEvents,
	}
	for _, f := range []struct {
		dst  *int64
		text string
	}{{&m.Revenue, w.Revenue}, {&m.CompletedRevenue, w.CompletedRevenue}, {&m.RefundedAmount, w.RefundedAmount}} {
		if *f.dst, err = parseSigned(f.text, d); err != nil {
			return err
		}
	}
	return nil
}

func parseSigned(text string, digits int) (int64, error) {
	if len(text) > 0 && text[0] == '-' {
		v, err := ParseAmount(text[1:], digits)
		return -v, err
	}
	return ParseAmount(text, digits)
}
