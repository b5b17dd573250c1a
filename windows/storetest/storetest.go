// Package storetest is the contract test suite every windows.Store
// implementation must pass: windows.MemStore and redisstore.Store.
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) windows.Store { return windows.NewMemStore(windows.MemStoreConfig{}) })
//	}
//
// open must return an empty store, isolated from the stores of other calls.
package storetest

import (
	"math"
	"testing"

	"github.com/olympus-cloud/pulse/windows"
)

const minute = int64(60e9)

func upd(tenant string, key uint64, at int64, currency string, d windows.Delta, panes ...int64) windows.Update {
	u := windows.Update{Tenant: tenant, EventKey: key, At: at, Currency: currency, Delta: d}
	for g, p := range panes {
		u.Grids |= 1 << g
		u.PaneStart[g] = p
	}
	return u
}

func apply(t *testing.T, s windows.Store, batch ...windows.Update) []bool {
	t.Helper()
	dup := make([]bool, len(batch))
	if err := s.Apply(batch, dup); err != nil {
		t.Fatalf("apply: %v", err)
	}
	return dup
}

func read(t *testing.T, s windows.Store, tenant string, g int, starts ...int64) map[string]windows.Aggregate {
	t.Helper()
	var tot windows.Totals
	if err := s.Read(tenant, g, starts, &tot); err != nil {
		t.Fatalf("read: %v", err)
	}
	m := map[string]windows.Aggregate{}
	for _, a := range tot.Aggs {
		if _, ok := m[a.Currency]; ok {
			t.Fatalf("currency %s twice in one read", a.Currency)
		}
		m[a.Currency] = a
	}
	return m
}

// Run runs the contract against stores made by open.
func Run(t *testing.T, open func(t *testing.T) windows.Store) {
	t.Run("ApplyAndRead", func(t *testing.T) {
		s := open(t)
		created := windows.Delta{Orders: 1, ItemsSold: 3, Customer: 11}
		completed := windows.Delta{CompletedOrders: 1, CompletedRevenue: 1299}
		refunded := windows.Delta{RefundedOrders: 1, RefundedAmount: 300}
		dup := apply(t, s,
			upd("a", 1, 0, "USD", created, 0, 0),
			upd("a", 2, minute, "USD", completed, minute, 0),
			upd("a", 3, minute, "EUR", refunded, minute, 0),
			upd("a", 4, minute, "USD", windows.Delta{Orders: 1, Customer: 11}, minute, 0),
		)
		for i, d := range dup {
			if d {
				t.Fatalf("update %d reported duplicate", i)
			}
		}
		g0 := read(t, s, "a", 0, 0)
		if a := g0["USD"]; a.Orders != 1 || a.ItemsSold != 3 || a.CompletedOrders != 0 || len(g0) != 1 {
			t.Fatalf("grid 0 pane 0: %+v", g0)
		}
		g1 := read(t, s, "a", 1, 0)
		usd, eur := g1["USD"], g1["EUR"]
		if usd.Orders != 2 || usd.CompletedRevenue != 1299 || usd.CompletedOrders != 1 || eur.RefundedAmount != 300 || eur.RefundedOrders != 1 {
			t.Fatalf("grid 1: %+v", g1)
		}
		if n, exact := usd.Customers.Count(); n != 1 || !exact {
			t.Fatalf("customers %d exact=%v", n, exact)
		}
		// Reading two panes merges them per currency.
		both := read(t, s, "a", 0, 0, minute, 2*minute)
		if both["USD"].Orders != 2 || both["USD"].CompletedRevenue != 1299 {
			t.Fatalf("merged read: %+v", both)
		}
		if got := read(t, s, "nobody", 0, 0); len(got) != 0 {
			t.Fatalf("unknown tenant: %+v", got)
		}
	})
	t.Run("DedupWithinAndAcrossBatches", func(t *testing.T) {
		s := open(t)
		d := windows.Delta{Orders: 1}
		dup := apply(t, s, upd("a", 7, 0, "USD", d, 0), upd("a", 7, 0, "USD", d, 0), upd("b", 7, 0, "USD", d, 0))
		if dup[0] || !dup[1] || dup[2] {
			t.Fatalf("dup %v: want the second only (keys are per tenant)", dup)
		}
		if dup := apply(t, s, upd("a", 7, 0, "USD", d, 0)); !dup[0] {
			t.Fatal("redelivery in a later batch applied")
		}
		if got := read(t, s, "a", 0, 0)["USD"].Orders; got != 1 {
			t.Fatalf("orders %d after duplicates", got)
		}
		// A key with no panes is still remembered.
		apply(t, s, upd("a", 8, 0, "USD", d))
		if dup := apply(t, s, upd("a", 8, 0, "USD", d, 0)); !dup[0] {
			t.Fatal("key of a pane-less update forgotten")
		}
	})
	t.Run("Evict", func(t *testing.T) {
		s := open(t)
		d := windows.Delta{Orders: 1}
		apply(t, s, upd("a", 1, 0, "USD", d, 0), upd("a", 2, minute, "USD", d, minute), upd("b", 3, 0, "USD", d, 0))
		var panes [windows.MaxGrids][]int64
		panes[0] = []int64{0}
		if err := s.Evict("a", &panes, math.MinInt64); err != nil {
			t.Fatal(err)
		}
		if got := read(t, s, "a", 0, 0, minute); got["USD"].Orders != 1 {
			t.Fatalf("after evicting pane 0: %+v", got)
		}
		if got := read(t, s, "b", 0, 0); got["USD"].Orders != 1 {
			t.Fatalf("other tenant harmed: %+v", got)
		}
		if dup := apply(t, s, upd("a", 1, 0, "USD", d)); !dup[0] {
			t.Fatal("event keys evicted with panes")
		}
		// Forgetting every key: redelivery is applied again.
		panes[0] = []int64{minute}
		if err := s.Evict("a", &panes, math.MaxInt64); err != nil {
			t.Fatal(err)
		}
		if dup := apply(t, s, upd("a", 1, 0, "USD", d, 0)); dup[0] {
			t.Fatal("key remembered after evicting all keys")
		}
	})
	t.Run("EvictKeysByEventTime", func(t *testing.T) {
		s := open(t)
		day := 24 * 60 * minute
		d := windows.Delta{Orders: 1}
		apply(t, s, upd("a", 1, 0, "USD", d), upd("a", 2, 10*day, "USD", d))
		var none [windows.MaxGrids][]int64
		if err := s.Evict("a", &none, 5*day); err != nil {
			t.Fatal(err)
		}
		// Key 2 (after the bound) must be remembered; key 1 may be.
		if dup := apply(t, s, upd("a", 2, 10*day, "USD", d)); !dup[0] {
			t.Fatal("key after the eviction bound forgotten")
		}
	})
	t.Run("ManyCustomers", func(t *testing.T) {
		s := open(t)
		var batch []windows.Update
		for i := range 5000 {
			batch = append(batch, upd("a", uint64(i+1), 0, "USD", windows.Delta{Orders: 1, Customer: mix(uint64(i + 1))}, 0))
		}
		apply(t, s, batch...)
		a := read(t, s, "a", 0, 0)["USD"]
		n, exact := a.Customers.Count()
		if exact || math.Abs(float64(n)-5000)/5000 > 4*windows.HLLRelativeError || a.Orders != 5000 {
			t.Fatalf("5000 customers: %d exact=%v orders=%d", n, exact, a.Orders)
		}
	})
}

// mix is splitmix64's finalizer: customer hashes must be well mixed.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
