package windows

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSealedPanesReadTheSame drives two MemStores with the same random
// updates, reads and evictions; one of them also seals random panes. Every
// read must give the same aggregates, customer sets and sketch registers
// included, whether a pane is packed, unpacked by a late event, or packed
// again. Customer pools from 1 to 5,000 cover exact sets and sparse and
// dense sketches.
func TestSealedPanesReadTheSame(t *testing.T) {
	for _, pool := range []int{1, 40, 300, 700, 5000} {
		rng := rand.New(rand.NewPCG(uint64(pool), 7))
		plain, sealing := NewMemStore(MemStoreConfig{}), NewMemStore(MemStoreConfig{})
		tenants := []string{"a", "b"}
		currencies := []string{"USD", "EUR", "JPY"}
		const panes = 12
		var batch []Update
		dup := make([]bool, 64)
		for step := range 3000 {
			batch = batch[:0]
			for range 1 + rng.IntN(40) {
				u := Update{Tenant: tenants[rng.IntN(len(tenants))], EventKey: rng.Uint64(), At: int64(step),
					Currency: currencies[rng.IntN(len(currencies))], Grids: 0b11}
				u.PaneStart[0] = int64(rng.IntN(panes))
				u.PaneStart[1] = u.PaneStart[0] / 4
				u.Delta = Delta{Orders: 1, CompletedRevenue: rng.Int64N(1e6), RefundedAmount: rng.Int64N(10),
					ItemsSold: rng.Int64N(5), CancelledOrders: int64(rng.IntN(2))}
				if rng.IntN(5) > 0 {
					u.Delta.Customer = mixHash(rng.IntN(pool))
				}
				batch = append(batch, u)
			}
			for _, s := range []*MemStore{plain, sealing} {
				if err := s.Apply(batch, dup); err != nil {
					t.Fatal(err)
				}
			}
			tenant := tenants[rng.IntN(len(tenants))]
			g := rng.IntN(2)
			starts := randomStarts(rng, panes)
			switch rng.IntN(10) {
			case 0, 1, 2, 3:
				sealing.Seal(tenant, g, starts)
			case 4:
				var ev [MaxGrids][]int64
				ev[g] = starts
				for _, s := range []*MemStore{plain, sealing} {
					if err := s.Evict(tenant, &ev, 0); err != nil {
						t.Fatal(err)
					}
				}
			default:
				var want, got Totals
				if err := plain.Read(tenant, g, starts, &want); err != nil {
					t.Fatal(err)
				}
				if err := sealing.Read(tenant, g, starts, &got); err != nil {
					t.Fatal(err)
				}
				if !totalsEqual(&want, &got) {
					t.Fatalf("pool %d step %d: read %s grid %d %v\nplain   %+v\nsealing %+v", pool, step, tenant, g, starts, want.Aggs, got.Aggs)
				}
			}
			if plain.Stats().Panes != sealing.Stats().Panes {
				t.Fatalf("pool %d step %d: %d panes, sealing store %d", pool, step, plain.Stats().Panes, sealing.Stats().Panes)
			}
		}
		if len(sealing.currencies) != len(currencies) {
			t.Fatalf("currency table %v", sealing.currencies)
		}
	}
}

func randomStarts(rng *rand.Rand, panes int) []int64 {
	var s []int64
	for p := range panes {
		if rng.IntN(3) == 0 {
			s = append(s, int64(p))
		}
	}
	return s
}

func mixHash(i int) uint64 {
	h := uint64(i+1) * 0x9E3779B97F4A7C15
	h ^= h >> 29
	return h*0xBF58476D1CE4E5B9 | 1
}

func totalsEqual(a, b *Totals) bool {
	if len(a.Aggs) != len(b.Aggs) {
		return false
	}
	for i := range a.Aggs {
		x := a.Aggs[i]
		j := slices.IndexFunc(b.Aggs, func(y Aggregate) bool { return y.Currency == x.Currency })
		if j < 0 {
			return false
		}
		y := b.Aggs[j]
		if x.Orders != y.Orders || x.CompletedOrders != y.CompletedOrders || x.CancelledOrders != y.CancelledOrders ||
			x.RefundedOrders != y.RefundedOrders || x.CompletedRevenue != y.CompletedRevenue ||
			x.RefundedAmount != y.RefundedAmount || x.ItemsSold != y.ItemsSold {
			return false
		}
		if (x.Customers.hll == nil) != (y.Customers.hll == nil) {
			return false
		}
		if x.Customers.hll != nil {
			if *x.Customers.hll != *y.Customers.hll {
				return false
			}
		} else if !slices.Equal(x.Customers.exact, y.Customers.exact) {
			return false
		}
	}
	return true
}

// TestSealedCustomersForms checks the three packed forms of a customer set
// are chosen by size and read back exactly.
func TestSealedCustomersForms(t *testing.T) {
	for _, c := range []struct {
		n    int
		kind byte
	}{{0, packedExact}, {3, packedExact}, {256, packedExact}, {300, packedSparse}, {20000, packedDense}} {
		var in Customers
		for i := range c.n {
			in.Add(mixHash(i))
		}
		b := in.appendPacked(nil)
		if b[0] != c.kind {
			t.Errorf("%d customers packed as %d, want %d", c.n, b[0], c.kind)
		}
		var out Customers
		r := packedReader{b: b}
		out.mergePacked(&r)
		if len(r.b) != 0 {
			t.Errorf("%d customers: %d bytes left over", c.n, len(r.b))
		}
		wantN, wantExact := in.Count()
		gotN, gotExact := out.Count()
		if wantN != gotN || wantExact != gotExact {
			t.Errorf("%d customers: read back %d (exact %v), want %d (exact %v)", c.n, gotN, gotExact, wantN, wantExact)
		}
	}
}
