package windows

// MaxGrids is the most distinct pane grids (pane length, calendar or not) a
// Config may use. Windows of the same pane length share one grid.
const MaxGrids = 8

// Store holds the pane aggregates and the remembered event ids of the
// tenants of one engine. The engine is the only caller and calls it from one
// goroutine; an implementation needs no locks for the engine's sake.
//
// A remote implementation (Redis) applies a whole batch in one round trip:
// Apply gets every event of a batch at once, with the dedup key and the
// exact increments already computed, so a server-side script can do
// "skip if seen, else remember and increment" per update atomically.
type Store interface {
	// Apply applies the updates in order. An update whose (Tenant, EventKey)
	// was applied before, earlier in the same batch or in an earlier batch
	// within the dedup horizon, changes nothing and sets dup[i]. Otherwise the
	// event key is remembered and Delta is added to the Currency aggregate of
	// every pane in Panes. len(dup) >= len(batch). An error means no update
	// of the batch may be assumed applied; the caller retries the batch, and
	// retries are safe because of the dedup.
	Apply(batch []Update, dup []bool) error
	// Read adds to dst the aggregates of tenant's panes of grid g that start
	// at the given starts, merged per currency. Missing panes add nothing.
	Read(tenant string, g int, starts []int64, dst *Totals) error
	// Evict forgets what the engine no longer needs: the tenant's panes of
	// each grid g that start at panes[g], and the tenant's event keys with an
	// event time before idsBefore (an implementation may keep keys up to one
	// dedup horizon longer; math.MaxInt64 forgets them all). A tenant left
	// with nothing is dropped.
	Evict(tenant string, panes *[MaxGrids][]int64, idsBefore int64) error
}

// Update is one event's effect on the store.
type Update struct {
	Tenant   string
	EventKey uint64 // xxhash64 of the event id
	At       int64  // event time, Unix nanoseconds; the dedup eviction clock
	Currency string
	Delta    Delta
	// Grids has bit g set when the event goes into pane PaneStart[g] of grid
	// g. Zero means remember the event key only (an event too late for every
	// window is still deduplicated, so it is counted once).
	Grids     uint8
	PaneStart [MaxGrids]int64
	// Attach is an opaque payload of the event (Engine.ApplyBatchAttached; nil for most
	// events). A Remote appends it, only if the event is not a duplicate,
	// to the tenant's attachment log in the same atomic step as the
	// dedup, so a payload is logged once or, if the apply fails, not at
	// all. A Store ignores it.
	Attach []byte
}

// Delta is what one event adds to one aggregate.
type Delta struct {
	Orders           int64
	CompletedOrders  int64
	CancelledOrders  int64
	RefundedOrders   int64
	CompletedRevenue int64
	RefundedAmount   int64
	ItemsSold        int64
	// Customer is the xxhash64 of the customer id of an order.created event
	// with a customer; zero means none.
	Customer uint64
}

// Aggregate is the running sum of one (tenant, pane or window, currency).
type Aggregate struct {
	Currency         string
	Orders           int64
	CompletedOrders  int64
	CancelledOrders  int64
	RefundedOrders   int64
	CompletedRevenue int64
	RefundedAmount   int64
	ItemsSold        int64
	Customers        Customers
}

// Add adds one event's delta.
func (a *Aggregate) Add(d *Delta) {
	a.Orders += d.Orders
	a.CompletedOrders += d.CompletedOrders
	a.CancelledOrders += d.CancelledOrders
	a.RefundedOrders += d.RefundedOrders
	a.CompletedRevenue += d.CompletedRevenue
	a.RefundedAmount += d.RefundedAmount
	a.ItemsSold += d.ItemsSold
	if d.Customer != 0 {
		a.Customers.Add(d.Customer)
	}
}

// Merge adds b into a (same currency).
func (a *Aggregate) Merge(b *Aggregate) {
	a.Orders += b.Orders
	a.CompletedOrders += b.CompletedOrders
	a.CancelledOrders += b.CancelledOrders
	a.RefundedOrders += b.RefundedOrders
	a.CompletedRevenue += b.CompletedRevenue
	a.RefundedAmount += b.RefundedAmount
	a.ItemsSold += b.ItemsSold
	a.Customers.Merge(&b.Customers)
}

// reset empties a, keeping its buffers.
func (a *Aggregate) reset() {
	c := a.Customers
	c.Reset()
	*a = Aggregate{Customers: c}
}

// Totals are aggregates per currency, in first-seen order. Reuse one value
// across Read calls: Reset keeps its buffers.
type Totals struct {
	Aggs []Aggregate
}

// Reset empties t, keeping its buffers.
func (t *Totals) Reset() {
	for i := range t.Aggs {
		t.Aggs[i].reset()
	}
	t.Aggs = t.Aggs[:0]
}

// For returns the aggregate of currency, adding an empty one if needed.
func (t *Totals) For(currency string) *Aggregate {
	for i := range t.Aggs {
		if t.Aggs[i].Currency == currency {
			return &t.Aggs[i]
		}
	}
	if len(t.Aggs) < cap(t.Aggs) {
		t.Aggs = t.Aggs[:len(t.Aggs)+1]
		a := &t.Aggs[len(t.Aggs)-1]
		a.reset()
		a.Currency = currency
		return a
	}
	t.Aggs = append(t.Aggs, Aggregate{Currency: currency})
	return &t.Aggs[len(t.Aggs)-1]
}
