package windows

import (
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// benchSource yields orders like a decoder would: one reused Order value
// whose fields are refilled per event, so only the event id is new data (as
// after a real decode). 16 tenants, one event every 200 ms of event time
// overall (about 1,100 per tenant-hour), 100 customers per tenant, the four
// event types, 1-3 lines. Ids are unique within the pool, which spans more
// than two dedup horizons (116 h), so a later lap's ids were forgotten and
// apply as new events.
type benchSource struct {
	ids       []string
	tenants   []string
	customers []string
	items     [][]events.Item
	o         events.Order
}

const benchPool = 1 << 21

var benchIDs []string

func newBenchSource() *benchSource {
	if benchIDs == nil {
		benchIDs = make([]string, benchPool)
		for i := range benchIDs {
			benchIDs[i] = "ev-" + strconv.Itoa(i)
		}
	}
	s := &benchSource{ids: benchIDs}
	for i := range 16 {
		s.tenants = append(s.tenants, "tenant-"+strconv.Itoa(i))
	}
	for i := range 100 {
		s.customers = append(s.customers, "cust-"+strconv.Itoa(i))
	}
	for q := range 3 {
		s.items = append(s.items, []events.Item{{SKU: "sku", Quantity: int64(q + 1), UnitPrice: 500}})
	}
	return s
}

var benchTypes = []events.EventType{events.OrderCreated, events.OrderCreated, events.OrderCompleted, events.OrderCancelled, events.OrderRefunded}

// at returns event i (i may exceed the pool: later laps shift time).
func (s *benchSource) at(i int) *events.Order {
	k := i % benchPool
	lap := time.Duration(i/benchPool) * benchPool * 200 * time.Millisecond
	s.o = events.Order{
		EventID: s.ids[k], Type: benchTypes[i%len(benchTypes)], TenantID: s.tenants[i%16],
		OrderID: s.ids[k], CustomerID: s.customers[(i*7)%100], Amount: int64(1000 + i%9000), Currency: "USD",
		OccurredAt: t0.Add(lap + time.Duration(i)*200*time.Millisecond), Items: s.items[i%3],
	}
	return &s.o
}

// BenchmarkApply is the cost per event of applying it to the default
// windows (1m, 5m, 1h, calendar day), dedup included, with an Advance every
// 1,000 events (closes, evictions) amortized in.
func BenchmarkApply(b *testing.B) {
	src := newBenchSource()
	e := mustEngine(b, Config{})
	emit := func(Closed) {}
	// Warm up over 52 h of event time: the steady state holds a full
	// correction horizon of closed windows and dedup ids.
	warm := 52 * 3600 * 5
	step := func(i int) {
		o := src.at(i)
		if _, err := e.Apply(o, o.OccurredAt); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 0 {
			if err := e.Advance(o.OccurredAt, emit); err != nil {
				b.Fatal(err)
			}
		}
	}
	for i := range warm {
		step(i)
	}
	b.ReportAllocs()
	cpu := startCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		step(warm + i)
	}
	b.StopTimer()
	cpu.report(b)
	if st := e.Stats(); st.Duplicates > 0 || st.DroppedLateEvents > 0 {
		b.Fatalf("bench stream not clean: %+v", st)
	}
}

// BenchmarkApplyBatch is the same through ApplyBatch, 100 events a call:
// one Store.Apply per batch (one round trip for a remote store), Advance
// after every batch.
func BenchmarkApplyBatch(b *testing.B) {
	src := newBenchSource()
	e := mustEngine(b, Config{})
	emit := func(Closed) {}
	const size = 100
	orders := make([]events.Order, size)
	batch := make([]*events.Order, size)
	out := make([]ApplyResult, size)
	next := 0
	run := func(n int) {
		for j := range n {
			orders[j] = *src.at(next)
			batch[j] = &orders[j]
			next++
		}
		now := batch[n-1].OccurredAt
		if err := e.ApplyBatch(batch[:n], now, out); err != nil {
			b.Fatal(err)
		}
		if err := e.Advance(now, emit); err != nil {
			b.Fatal(err)
		}
	}
	for next < 52*3600*5 {
		run(size)
	}
	b.ReportAllocs()
	cpu := startCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i += size {
		run(min(size, b.N-i))
	}
	b.StopTimer()
	cpu.report(b)
	if st := e.Stats(); st.Duplicates > 0 || st.DroppedLateEvents > 0 {
		b.Fatalf("bench stream not clean: %+v", st)
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
		for _, mt := range e.store.(*MemStore).tenants {
			mt.ids = newIDSet(1) // drop the remembered ids, keep the windows
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

// cpuClock measures process CPU time (all threads, GC included), so a
// figure stays meaningful on a machine shared with other work, where wall
// time per op includes time spent descheduled.
type cpuClock struct{ start time.Duration }

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{processCPU()} }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(processCPU()-c.start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkBenchSource is the harness alone (filling the reused Order), to
// subtract from BenchmarkApply.
func BenchmarkBenchSource(b *testing.B) {
	src := newBenchSource()
	var sink int64
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		sink += src.at(936_000 + i).Amount
	}
	if sink == 42 {
		b.Log(sink)
	}
}
