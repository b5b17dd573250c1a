package redisstore

import (
	"math"
	"testing"

	"github.com/olympus-cloud/pulse/windows"
	"github.com/olympus-cloud/pulse/windows/redisstore/redistest"
	"github.com/olympus-cloud/pulse/windows/storetest"
)

func TestContract(t *testing.T) {
	redistest.Require(t)
	storetest.Run(t, func(t *testing.T) windows.Store { return openStore(t, Config{}) })
}

func TestEncodingOrdersLikeNumbers(t *testing.T) {
	cases := []int64{math.MinInt64, -3600e9, -1, 0, 1, 59e9, 1772926200e9, math.MaxInt64}
	for i, a := range cases {
		if got, err := dec(enc(a)); err != nil || got != a {
			t.Fatalf("dec(enc(%d)) = %d, %v", a, got, err)
		}
		for _, b := range cases[i+1:] {
			if !(enc(a) < enc(b)) {
				t.Fatalf("enc(%d) >= enc(%d)", a, b)
			}
		}
	}
	if hourOf(-1) != -hour || hourOf(hour) != hour || hourOf(hour-1) != 0 {
		t.Fatal("hourOf rounds toward minus infinity")
	}
}

// A set past the exact limit turns into the sketch a MemStore builds from
// the same hashes: the counts agree exactly at every size.
func TestCustomersMatchMemStore(t *testing.T) {
	s := openStore(t, Config{})
	mem := windows.NewMemStore(windows.MemStoreConfig{})
	x := uint64(12345)
	for _, n := range []int{1, 255, 1, 1, 100, 2000} { // crosses 256 within a batch and between batches
		var batch []windows.Update
		for range n {
			x = x*6364136223846793005 + 1442695040888963407
			h := x ^ x>>29
			batch = append(batch, windows.Update{Tenant: "t", EventKey: x, At: 0, Currency: "USD",
				Delta: windows.Delta{Orders: 1, Customer: h}, Grids: 1})
		}
		dup := make([]bool, len(batch))
		if err := s.Apply(batch, dup); err != nil {
			t.Fatal(err)
		}
		if err := mem.Apply(batch, dup); err != nil {
			t.Fatal(err)
		}
		var a, b windows.Totals
		if err := s.Read("t", 0, []int64{0}, &a); err != nil {
			t.Fatal(err)
		}
		if err := mem.Read("t", 0, []int64{0}, &b); err != nil {
			t.Fatal(err)
		}
		na, ea := a.Aggs[0].Customers.Count()
		nb, eb := b.Aggs[0].Customers.Count()
		if na != nb || ea != eb || a.Aggs[0].Orders != b.Aggs[0].Orders {
			t.Fatalf("redis %d exact=%v orders=%d, memory %d exact=%v orders=%d", na, ea, a.Aggs[0].Orders, nb, eb, b.Aggs[0].Orders)
		}
	}
}
