package processors

import (
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
	"github.com/olympus-cloud/pulse/windows"
)

// Realistic traffic for the benchmarks: the generator's defaults (repeat
// customers on a Zipf pool, 15% guests, 1-5 lines, lifecycles, 1%
// malformed, 2% duplicate deliveries, 5% out of order, 0.5% late) over
// 1,000 tenants with heavy-tailed volumes, in two densities:
//
//   - busy: 500,000 to 500 orders a day per tenant, about 350,000 messages
//     a simulated hour (about 98 a second) in all: most tenant-minutes hold
//     several events, so window closes are amortised over many events.
//   - sparse: the generator's own 5,000 to 5 a day, about 71,000 messages a
//     simulated day: most 1m windows hold one event, so nearly every event
//     closes a window (closes/op about 1.3) and the close path dominates.
//   - hot16: busy's volumes over 16 tenants instead of 1,000 (the biggest
//     ones, so about as many events a minute per tenant as busy's top): the
//     same code and work per event with a working set that stays in cache.
//     Next to busy it shows what the cache misses across many tenants cost.
type benchProfile struct {
	name     string
	tenants  int // default benchTenants
	top      float64
	warmup   time.Duration // simulated history applied before timing
	duration time.Duration
}

var benchProfiles = []benchProfile{
	// Busy warms up over 1 h (350,000 events): the 1m and 5m windows reach
	// steady state (closing and evicting); dedup keys and hours keep growing.
	{name: "busy", top: 500_000, warmup: time.Hour, duration: 60 * 24 * time.Hour},
	// Sparse warms up past the 49 h dedup horizon: a full correction horizon
	// of closed panes and dedup keys, evicting as it goes.
	{name: "sparse", top: 5_000, warmup: 50 * time.Hour, duration: 3 * 365 * 24 * time.Hour},
	{name: "hot16", tenants: 16, top: 500_000, warmup: time.Hour, duration: 60 * 24 * time.Hour},
}

const (
	benchTenants = 1000
	benchChunk   = 8192
	// benchAdvanceEvery is how often the benchmarks call Advance: every
	// 1,000 events, a tick every millisecond or so at these rates, far more
	// often than the shards' 1 s ticker. Closes (and the detector work they
	// trigger) happen once per window whatever the cadence.
	benchAdvanceEvery = 1000
)

// benchTraffic hands out pre-generated messages in chunks; generating the
// next chunk happens with the timer (and the CPU clock) stopped.
type benchTraffic struct {
	g   *eventgen.Generator
	buf []eventgen.Message
}

func newBenchTraffic(b *testing.B, p benchProfile) *benchTraffic {
	b.Helper()
	tenants := p.tenants
	if tenants == 0 {
		tenants = benchTenants
	}
	g, err := eventgen.New(eventgen.Config{Seed: 7, Tenants: tenants, Duration: p.duration,
		TopOrdersPerDay: p.top, TailOrdersPerDay: p.top / 1000})
	if err != nil {
		b.Fatal(err)
	}
	return &benchTraffic{g: g}
}

// fill generates up to n messages, replacing the buffer.
func (t *benchTraffic) fill(b *testing.B, n int) []eventgen.Message {
	t.buf = t.buf[:0]
	for range n {
		m, ok := t.g.Next()
		if !ok {
			b.Fatal("generator ran out of traffic")
		}
		t.buf = append(t.buf, m)
	}
	return t.buf
}

// until generates messages published before t.
func (t *benchTraffic) until(b *testing.B, end time.Time, each func(*eventgen.Message)) {
	for {
		m, ok := t.g.Next()
		if !ok {
			b.Fatal("generator ran out of traffic")
		}
		each(&m)
		if !m.PublishAt.Before(end) {
			return
		}
	}
}

// cpuClock measures process CPU time (every thread, GC included): on a
// machine shared with other work, wall time per op also counts time spent
// descheduled.
type cpuClock struct {
	total   time.Duration
	started time.Duration
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (c *cpuClock) start() { c.started = processCPU() }
func (c *cpuClock) stop()  { c.total += processCPU() - c.started }

// runChunks drives step over b.N generated messages, chunk by chunk, timing
// only the steps.
func runChunks(b *testing.B, tr *benchTraffic, step func(i int, m *eventgen.Message)) {
	var cpu cpuClock
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		msgs := tr.fill(b, min(benchChunk, b.N-done))
		b.StartTimer()
		cpu.start()
		for i := range msgs {
			step(done+i, &msgs[i])
		}
		cpu.stop()
		done += len(msgs)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpu.total)/float64(b.N), "cpu-ns/op")
}

// BenchmarkCoreDecode is the bare decode of the core path's events with the
// decoder Pulse uses: the denominator of the core path ratio.
func BenchmarkCoreDecode(b *testing.B) {
	for _, p := range benchProfiles {
		b.Run("traffic="+p.name, func(b *testing.B) { benchCoreDecode(b, p) })
	}
}

func benchCoreDecode(b *testing.B, p benchProfile) {
	tr := newBenchTraffic(b, p)
	dec := events.NewDecoder(events.Limits{})
	var valid int
	runChunks(b, tr, func(_ int, m *eventgen.Message) {
		if _, err := dec.Decode(m.Payload, m.Attributes, m.PublishAt); err == nil {
			valid++
		}
	})
	if valid == 0 {
		b.Fatal("nothing decoded")
	}
}

// BenchmarkCoreEngine is the narrow core path: decode + validate, then the
// windows engine (dedup, the four default windows) with Advance every 1,000
// events (closes, evictions), one goroutine.
func BenchmarkCoreEngine(b *testing.B) {
	for _, p := range benchProfiles {
		b.Run("traffic="+p.name, func(b *testing.B) { benchCoreEngine(b, p) })
	}
}

func benchCoreEngine(b *testing.B, p benchProfile) {
	tr := newBenchTraffic(b, p)
	dec := events.NewDecoder(events.Limits{})
	e, err := windows.NewEngine(windows.Config{})
	if err != nil {
		b.Fatal(err)
	}
	var closes int
	emit := func(windows.Closed) { closes++ }
	var now time.Time
	step := func(i int, m *eventgen.Message) {
		now = m.PublishAt
		if o, err := dec.Decode(m.Payload, m.Attributes, now); err == nil {
			if _, err := e.Apply(&o, now); err != nil {
				b.Fatal(err)
			}
		}
		if i%benchAdvanceEvery == 0 {
			if err := e.Advance(now, emit); err != nil {
				b.Fatal(err)
			}
		}
	}
	n := 0
	tr.until(b, eventgen.DefaultStart.Add(p.warmup), func(m *eventgen.Message) { step(n, m); n++ })
	closes = 0
	runChunks(b, tr, step)
	b.ReportMetric(float64(closes)/float64(b.N), "closes/op")
}

// BenchmarkCoreWindowState is the shard's whole state per event: decode,
// windows, analytics and recommendations per order, and per closed window
// the insight, analytics and (1h, 1d) the detectors.
func BenchmarkCoreWindowState(b *testing.B) {
	for _, p := range benchProfiles {
		b.Run("traffic="+p.name, func(b *testing.B) { benchCoreWindowState(b, p) })
	}
}

func benchCoreWindowState(b *testing.B, p benchProfile) {
	tr := newBenchTraffic(b, p)
	dec := events.NewDecoder(events.Limits{})
	var insights int
	ws, err := NewWindowState(WindowStateConfig{}, func(events.Insight) { insights++ }, NewStats(), zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	var now time.Time
	step := func(i int, m *eventgen.Message) {
		now = m.PublishAt
		if o, err := dec.Decode(m.Payload, m.Attributes, now); err == nil {
			if err := ws.Apply(&o, now); err != nil {
				b.Fatal(err)
			}
		}
		if i%benchAdvanceEvery == 0 {
			if err := ws.Advance(now); err != nil {
				b.Fatal(err)
			}
		}
	}
	n := 0
	tr.until(b, eventgen.DefaultStart.Add(p.warmup), func(m *eventgen.Message) { step(n, m); n++ })
	insights = 0
	runChunks(b, tr, step)
	b.ReportMetric(float64(insights)/float64(b.N), "insights/op")
}
