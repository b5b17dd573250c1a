package bigquery

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// genOrders makes a deterministic stream of valid orders over a few tenants,
// days and currencies, ending after base.
func genOrders(seed uint64, n int, base time.Time) []events.Order {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	tenants := []string{"acme", "globex", "initech"}
	currencies := []string{"USD", "JPY", "KWD"}
	types := events.EventTypes
	out := make([]events.Order, n)
	for i := range out {
		cur := currencies[r.IntN(len(currencies))]
		o := events.Order{
			EventID:    fmt.Sprintf("evt-%d-%05d", seed, i),
			Type:       types[r.IntN(len(types))],
			TenantID:   tenants[r.IntN(len(tenants))],
			OrderID:    fmt.Sprintf("ord-%04d", r.IntN(n/2+1)),
			Status:     "ok",
			Amount:     r.Int64N(500000),
			Currency:   cur,
			OccurredAt: base.Add(-time.Duration(r.Int64N(int64(72 * time.Hour)))).Truncate(time.Microsecond),
		}
		if r.IntN(5) != 0 {
			o.CustomerID = fmt.Sprintf("cus-%03d", r.IntN(40))
		}
		for range r.IntN(4) {
			o.Items = append(o.Items, events.Item{SKU: fmt.Sprintf("sku-%d", r.IntN(100)), Quantity: 1 + r.Int64N(5), UnitPrice: r.Int64N(20000)})
		}
		out[i] = o
	}
	return out
}

// withDuplicates returns the orders with about a fifth of them delivered
// again, shuffled, as Pub/Sub redelivery would.
func withDuplicates(seed uint64, orders []events.Order) []events.Order {
	r := rand.New(rand.NewPCG(seed, 7))
	out := append([]events.Order(nil), orders...)
	for _, o := range orders {
		if r.IntN(5) == 0 {
			out = append(out, o)
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
