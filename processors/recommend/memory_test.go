package recommend

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// hugeCatalogue feeds one tenant orders from a million-SKU catalogue: each
// order has the next two SKUs of a sweep through the whole catalogue (so
// 500,000 orders show every SKU) plus 0-4 SKUs from a long-tailed
// popularity. Nearly every pair is new, so every summary fills and churns.
type hugeCatalogue struct {
	r     *rand.Rand
	pop   *rand.Zipf
	n     int
	sweep int
	at    time.Time
}

const millionSKUs = 1_000_000

func newHugeCatalogue(seed uint64) *hugeCatalogue {
	r := rand.New(rand.NewPCG(seed, 1))
	return &hugeCatalogue{r: r, pop: rand.NewZipf(r, 1.01, 10, millionSKUs-1), at: t0}
}

func (h *hugeCatalogue) feed(m *Model, orders int) {
	for range orders {
		h.n++
		h.at = h.at.Add(time.Second)
		o := order("big", "o"+strconv.Itoa(h.n), events.OrderCompleted, h.at)
		for range 2 {
			o.Items = append(o.Items, events.Item{SKU: fmt.Sprintf("SKU-%07d", h.sweep%millionSKUs), Quantity: 1, UnitPrice: 100})
			h.sweep++
		}
		for range h.r.IntN(5) {
			o.Items = append(o.Items, events.Item{SKU: fmt.Sprintf("SKU-%07d", h.pop.Uint64()), Quantity: 1, UnitPrice: 100})
		}
		m.Observe(o)
		if h.r.IntN(20) == 0 { // refund a recent order, remembered or not
			m.Observe(order("big", "o"+strconv.Itoa(h.n-h.r.IntN(40_000)), events.OrderRefunded, h.at))
		}
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestMemoryBound1MSKUs measures one tenant's retained heap under a
// million-SKU catalogue at the default capacities: it must stay under
// Config.MemoryBound and stop growing once the summaries are full.
// Skipped under -short and -race (about 5 s otherwise).
func TestMemoryBound1MSKUs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("million-SKU memory measurement: run without -short and -race")
	}
	cfg := Config{}
	base := heapInUse()
	m := newModel(t, cfg)
	h := newHugeCatalogue(9)
	const step = 100_000
	h.feed(m, step)
	first := heapInUse() - base
	h.feed(m, 2*step)
	mid := heapInUse() - base
	h.feed(m, 2*step)
	after := heapInUse() - base
	bound := cfg.MemoryBound(len("SKU-0000000"))
	tn := m.tenants["big"]
	if h.sweep < millionSKUs {
		t.Fatalf("only %d SKUs swept", h.sweep)
	}
	t.Logf("%d orders over all %d SKUs, %d refunds seen; items %d/%d, pairs %d/%d, remembered orders %d; retained heap %.2f MB after %d orders, %.2f MB after %d, %.2f MB after %d; bound %.2f MB",
		h.n, millionSKUs, m.stats.RefundsExact+m.stats.RefundsApprox+m.stats.RefundsIgnored,
		tn.items.len(), cfg.withDefaults().ItemCapacity, tn.pairs.len(), cfg.withDefaults().PairCapacity, len(tn.recent.slots),
		float64(first)/1e6, step, float64(mid)/1e6, 3*step, float64(after)/1e6, 5*step, float64(bound)/1e6)
	if tn.items.len() != DefaultItemCapacity || tn.pairs.len() != DefaultPairCapacity || len(tn.recent.slots) != DefaultRefundMemory {
		t.Fatalf("summaries not full: the measurement would not show the bound")
	}
	if int64(after) > bound {
		t.Errorf("retained %d bytes, over the documented bound %d", after, bound)
	}
	// Full summaries reuse their slots and fixed tables: 400,000 more orders
	// must not grow memory (allow 64 KiB of allocator noise).
	if after > first+64<<10 {
		t.Errorf("memory grew from %d to %d bytes after the summaries were full", first, after)
	}
	runtime.KeepAlive(m)
}

func BenchmarkObserve(b *testing.B) {
	m := newModel(b, Config{})
	h := newHugeCatalogue(11)
	h.feed(m, 50_000) // full summaries: the steady state
	b.ReportAllocs()
	b.ResetTimer()
	h.feed(m, b.N)
}

func BenchmarkSnapshot(b *testing.B) {
	m := newModel(b, Config{})
	h := newHugeCatalogue(12)
	h.feed(m, 50_000)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		m.Snapshot("big", h.at)
	}
}
