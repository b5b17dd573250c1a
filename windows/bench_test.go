package windows

import (
	"math"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// benchStream is a pool of orders: 16 tenants, one event every 200 ms of
// event time overall (about 1,100 events per tenant-hour), 100 customers per
// tenant, the four event types, 1-3 lines. Event ids are unique within the
// pool; the pool spans more than two dedup horizons, so a later lap's ids
// were forgotten and apply as new events.
func benchStream(n int) []*events.Order {
	out := make([]*events.Order, n)
	types := []events.EventType{events.OrderCreated, events.OrderCreated, events.OrderCompleted, events.OrderCancelled, events.OrderRefunded}
	for i := range out {
		tenant := "tenant-" + strconv.Itoa(i%16)
		at := t0.Add(time.Duration(i) * 200 * time.Millisecond)
		o := order("ev-"+strconv.Itoa(i), tenant, types[i%len(types)], at, int64(1000+i%9000), "USD", "cust-"+strconv.Itoa((i*7)%100), 1+int64(i%3))
		out[i] = o
	}
	return out
}

const benchPool = 1 << 21 // 116 h of event time at 200 ms per event: > 2 dedup horizons

var benchOrders []*events.Order

func benchSetup(b *testing.B) []*events.Order {
	if benchOrders == nil {
		benchOrders = benchStream(benchPool)
	}
	return benchOrders
}

// BenchmarkApply is the cost per event of applying it to the default
// windows (1m, 5m, 1h, calendar day), dedup included, with an Advance every
// 1,000 events (closes, evictions) amortized in.
func BenchmarkApply(b *testing.B) {
	orders := benchSetup(b)
	e := mustEngine(b, Config{})
	emit := func(Closed) {}
	lap := time.Duration(benchPool) * 200 * time.Millisecond
	// Warm up: one pass over a day of events fills the steady state.
	warm := 2 * 24 * 3600 * 5
	for i := range warm {
		o := orders[i]
		if _, err := e.Apply(o, o.OccurredAt); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 0 {
			if err := e.Advance(o.OccurredAt, emit); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := (warm + i) % benchPool
		o := orders[k]
		if k == 0 {
			b.StopTimer()
			// Next lap: shift time forward so it stays monotonic.
			for _, x := range orders {
				x.OccurredAt = x.OccurredAt.Add(lap)
			}
			b.StartTimer()
		}
		if _, err := e.Apply(o, o.OccurredAt); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 0 {
			if err := e.Advance(o.OccurredAt, emit); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	if st := e.Stats(); st.Duplicates > 0 || st.DroppedLateEvents > 0 {
		b.Fatalf("bench stream not clean: %+v", st)
	}
}

// BenchmarkApplyBatch is the same through ApplyBatch, 100 events a call:
// one Store.Apply per batch (one round trip for a remote store).
func BenchmarkApplyBatch(b *testing.B) {
	orders := benchSetup(b)
	e := mustEngine(b, Config{})
	emit := func(Closed) {}
	const size = 100
	out := make([]ApplyResult, size)
	warm := 2 * 24 * 3600 * 5
	run := func(from, n int) {
		batch := orders[from : from+n]
		if err := e.ApplyBatch(batch, batch[n-1].OccurredAt, out); err != nil {
			b.Fatal(err)
		}
		if err := e.Advance(batch[n-1].OccurredAt, emit); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < warm; i += size {
		run(i, size)
	}
	b.ReportAllocs()
	b.ResetTimer()
	// b.N events, in batches of 100 (Advance after every batch).
	for i := 0; i < b.N; i += size {
		from := warm + i%(benchPool-warm-size)
		if from < warm+i%(benchPool-warm-size) {
			from = warm
		}
		run(from, min(size, b.N-i))
	}
}

// BenchmarkBytesPerTenantWindow measures heap bytes per open tenant-window:
// 2,000 tenants, each with 100 created orders from 100 distinct customers in
// one minute, so 4 open windows (1m, 5m, 1h, day) of 100 customers each.
// "B/tenant-window" includes the tenant's share of remembered event ids;
// "B/tenant-window-state" is after forgetting the ids: the window state alone.
func BenchmarkBytesPerTenantWindow(b *testing.B) {
	const tenants, perTenant, windows = 2000, 100, 4
	var orders []*events.Order
	for t := range tenants {
		for i := range perTenant {
			at := t0.Add(time.Duration(i) * 100 * time.Millisecond)
			orders = append(orders, order(strconv.Itoa(t)+"-"+strconv.Itoa(i), "tenant-"+strconv.Itoa(t), events.OrderCreated, at, 0, "USD", "c"+strconv.Itoa(i), 1))
		}
	}
	for b.Loop() {
		var before, after, state runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		e := mustEngine(b, Config{})
		for _, o := range orders {
			if _, err := e.Apply(o, o.OccurredAt); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		var none [MaxGrids][]int64
		for t := range tenants {
			if err := e.store.Evict("tenant-"+strconv.Itoa(t), &none, math.MaxInt64); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&state)
		if st := e.Stats(); st.OpenWindows != tenants*windows {
			b.Fatalf("open windows %d", st.OpenWindows)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(tenants*windows), "B/tenant-window")
		b.ReportMetric(float64(state.HeapAlloc-before.HeapAlloc)/(tenants*windows), "B/tenant-window-state")
		runtime.KeepAlive(e)
	}
}
