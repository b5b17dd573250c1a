package eventgen

import (
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// TruthKey names one tenant's window of event time in one currency.
type TruthKey struct {
	Tenant   string
	Start    time.Time // window start, UTC, aligned to the Unix epoch
	Currency string
}

// Truth accumulates the exact figures a correct pipeline reports for the
// generated traffic, per tenant and tumbling event-time window, with the
// definitions of events.WindowMetrics: malformed messages and duplicate
// deliveries count for nothing, and unique customers are exact. LateEvents
// is left 0: lateness depends on the pipeline's watermark. Not safe for
// concurrent use.
type Truth struct {
	window    time.Duration
	windows   map[TruthKey]*events.WindowMetrics
	customers map[TruthKey]map[string]struct{}
}

// NewTruth returns an empty Truth over windows of the given length (for
// example 24*time.Hour for the daily history).
func NewTruth(window time.Duration) *Truth {
	if window <= 0 {
		window = 24 * time.Hour
	}
	return &Truth{window: window, windows: map[TruthKey]*events.WindowMetrics{}, customers: map[TruthKey]map[string]struct{}{}}
}

// Add counts m if it is a first delivery of a valid event.
func (t *Truth) Add(m *Message) {
	o := m.Order
	if o == nil || m.Duplicate || m.Expect != "" {
		return
	}
	k := TruthKey{Tenant: o.TenantID, Start: o.OccurredAt.Truncate(t.window).UTC(), Currency: o.Currency}
	w := t.windows[k]
	if w == nil {
		w = &events.WindowMetrics{Currency: o.Currency, UniqueCustomersExact: true}
		t.windows[k] = w
	}
	switch o.Type {
	case events.OrderCreated:
		w.Orders++
		w.ItemsSold += o.ItemCount()
		if o.CustomerID != "" {
			seen := t.customers[k]
			if seen == nil {
				seen = map[string]struct{}{}
				t.customers[k] = seen
			}
			if _, ok := seen[o.CustomerID]; !ok {
				seen[o.CustomerID] = struct{}{}
				w.UniqueCustomers++
			}
		}
	case events.OrderCompleted:
		w.CompletedOrders++
		w.CompletedRevenue += o.Amount
	case events.OrderCancelled:
		w.CancelledOrders++
	case events.OrderRefunded:
		w.RefundedOrders++
		w.RefundedAmount += o.Amount
	}
	w.Revenue = w.CompletedRevenue - w.RefundedAmount
}

// Windows returns a copy of the figures by window.
func (t *Truth) Windows() map[TruthKey]events.WindowMetrics {
	out := make(map[TruthKey]events.WindowMetrics, len(t.windows))
	for k, w := range t.windows {
		out[k] = *w
	}
	return out
}
