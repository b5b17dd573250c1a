package redisstore

import (
	"strconv"
	"testing"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/windows"
)

var benchSizes = []int{1, 100, 500}

// benchUpdate is event i as a store update on the default windows' four
// grids (1m, 5m, 1h, UTC day): 16 tenants, one event every 200 ms of event
// time, 100 customers per tenant, unique event keys.
func benchUpdate(u *windows.Update, i int) {
	at := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC).UnixNano() + int64(i)*int64(200*time.Millisecond)
	*u = windows.Update{Tenant: benchTenants[i%16], EventKey: xxhash.Sum64String(strconv.Itoa(i)), At: at, Currency: "USD", Grids: 0b1111}
	u.Delta = windows.Delta{Orders: 1, ItemsSold: int64(1 + i%3), Customer: xxhash.Sum64String(benchCustomers[(i*7)%100])}
	for g, p := range []int64{60e9, 300e9, 3600e9, 86400e9} {
		u.PaneStart[g] = at / p * p
	}
}

var benchTenants, benchCustomers = func() (t, c []string) {
	for i := range 16 {
		t = append(t, "tenant-"+strconv.Itoa(i))
	}
	for i := range 100 {
		c = append(c, "cust-"+strconv.Itoa(i))
	}
	return t, c
}()

func benchStore(b *testing.B, s windows.Store, size int) {
	batch := make([]windows.Update, size)
	dup := make([]bool, size)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += size {
		n := min(size, b.N-i)
		for j := range n {
			benchUpdate(&batch[j], i+j)
		}
		if err := s.Apply(batch[:n], dup[:n]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRedisApplyBatch is the cost per event (ns/op = ns/event) of
// Store.Apply on Redis at batch sizes 1, 100 and 500, next to the
// in-memory store on the same updates (mem/...), and of the whole
// distributed-mode engine (remote/...: planning plus the remote script
// with watermark, registry and lateness bookkeeping).
func BenchmarkRedisApplyBatch(b *testing.B) {
	for _, size := range benchSizes {
		b.Run("store/batch="+strconv.Itoa(size), func(b *testing.B) {
			benchStore(b, openStore(b, Config{TTL: 10 * time.Minute}), size)
		})
	}
	for _, size := range benchSizes {
		b.Run("mem/batch="+strconv.Itoa(size), func(b *testing.B) {
			benchStore(b, windows.NewMemStore(windows.MemStoreConfig{}), size)
		})
	}
	for _, size := range benchSizes {
		b.Run("remote/batch="+strconv.Itoa(size), func(b *testing.B) {
			s := openStore(b, Config{TTL: 10 * time.Minute})
			e, err := windows.NewEngine(windows.Config{Distributed: &windows.Distributed{Remote: s, Leases: staticLeases{}, Shards: 16}})
			if err != nil {
				b.Fatal(err)
			}
			var u windows.Update
			orders := make([]events.Order, size)
			ptrs := make([]*events.Order, size)
			res := make([]windows.ApplyResult, size)
			items := []events.Item{{SKU: "s", Quantity: 2, UnitPrice: 100}}
			now := time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i += size {
				n := min(size, b.N-i)
				for j := range n {
					benchUpdate(&u, i+j)
					orders[j] = events.Order{EventID: strconv.Itoa(i + j), Type: events.OrderCreated, TenantID: u.Tenant,
						CustomerID: benchCustomers[((i+j)*7)%100], Currency: "USD", OccurredAt: time.Unix(0, u.At).UTC(), Items: items}
					ptrs[j] = &orders[j]
				}
				if err := e.ApplyBatch(ptrs[:n], now, res); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
