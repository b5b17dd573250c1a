package windows

import (
	"fmt"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

var t0 = time.Date(2026, 3, 7, 23, 30, 0, 0, time.UTC) // near a US DST change

func order(id, tenant string, typ events.EventType, at time.Time, amount int64, currency, customer string, qty ...int64) *events.Order {
	o := &events.Order{EventID: id, Type: typ, TenantID: tenant, OrderID: "o-" + id, CustomerID: customer,
		Amount: amount, Currency: currency, OccurredAt: at.UTC(), Status: "x"}
	for i, q := range qty {
		o.Items = append(o.Items, events.Item{SKU: fmt.Sprintf("sku-%d", i), Quantity: q, UnitPrice: 100})
	}
	return o
}

func mustEngine(t testing.TB, c Config) *Engine {
	t.Helper()
	e, err := NewEngine(c)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

type collector struct{ out []Closed }

func (c *collector) emit(x Closed) { c.out = append(c.out, x) }

func (c *collector) find(tenant, size string, start time.Time, currency string) []Closed {
	var r []Closed
	for _, x := range c.out {
		if x.TenantID == tenant && x.Window.Size == size && x.Window.Start.Equal(start) && x.Metrics.Currency == currency {
			r = append(r, x)
		}
	}
	return r
}
