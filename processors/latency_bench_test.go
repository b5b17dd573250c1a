package processors

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/windows"
)

// crossing is the moment a tenant's watermark first reached a value: just
// before the Apply of the event that moved it.
type crossing struct {
	watermark time.Time
	at        time.Time
}

// latencyProbe pairs each published window insight (revision 1) with the
// Apply of the event that moved its tenant's watermark past the window's
// end.
type latencyProbe struct {
	mu        sync.Mutex
	crossings map[string][]crossing
	lat       []time.Duration
}

func (p *latencyProbe) Publish(_ context.Context, in events.Insight) error {
	if in.Kind != events.KindWindowMetrics || in.Revision != 1 {
		return nil
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	cs := p.crossings[in.TenantID]
	i, _ := slices.BinarySearchFunc(cs, in.Window.End, func(c crossing, t time.Time) int { return c.watermark.Compare(t) })
	if i < len(cs) {
		// Absent: an idle close (processing time, not the watermark), not
		// measured here.
		p.lat = append(p.lat, now.Sub(cs[i].at))
	}
	return nil
}

// BenchmarkWindowLatency measures, in process, from the Apply of the event
// that moves a tenant's watermark past a window's end to the publish of
// that window's insight: shard queue, Apply, the shard's next Advance
// (ticker), detectors, the output queue and worker. Events (busy traffic,
// 1,000 tenants) are fed one at a time through Shards.Apply at about 5,000
// a second; the processing clock follows the events' publish times.
// Sub-benchmarks vary the shards' TickInterval (default 1s).
func BenchmarkWindowLatency(b *testing.B) {
	for _, tick := range []time.Duration{time.Second, 100 * time.Millisecond, 10 * time.Millisecond} {
		b.Run("tick="+tick.String(), func(b *testing.B) { benchWindowLatency(b, tick) })
	}
}

func benchWindowLatency(b *testing.B, tick time.Duration) {
	msgs := ingestTraffic(b, b.N)
	probe := &latencyProbe{crossings: map[string][]crossing{}}
	var clock atomic.Int64
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	stats := NewStats()
	out := NewOutputs(OutputsConfig{}, probe, nil, zerolog.Nop())
	shards := NewShards(ShardsConfig{TickInterval: tick, Now: now}, func(int) ShardState {
		ws, err := NewWindowState(WindowStateConfig{}, out.Emit, stats, zerolog.Nop())
		if err != nil {
			b.Fatal(err)
		}
		return ws
	}, stats)
	watermarks := map[string]time.Time{}
	ctx := context.Background()
	const pace = 200 * time.Microsecond // 5,000 events a second
	b.ResetTimer()
	start := time.Now()
	for i := range msgs {
		m := &msgs[i]
		if m.Order == nil {
			continue
		}
		if d := time.Until(start.Add(time.Duration(i) * pace)); d > 0 {
			time.Sleep(d)
		}
		clock.Store(m.PublishAt.UnixNano())
		o := *m.Order
		wm := o.OccurredAt.Add(-windows.DefaultOutOfOrderness)
		if prev, ok := watermarks[o.TenantID]; !ok || wm.After(prev) {
			watermarks[o.TenantID] = wm
			probe.mu.Lock()
			probe.crossings[o.TenantID] = append(probe.crossings[o.TenantID], crossing{watermark: wm, at: time.Now()})
			probe.mu.Unlock()
		}
		if err := shards.Apply(ctx, &o); err != nil {
			b.Fatal(err)
		}
	}
	// Let the last ticks fire, then drain.
	time.Sleep(2 * tick)
	b.StopTimer()
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := shards.Close(cctx); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(cctx); err != nil {
		b.Fatal(err)
	}
	probe.mu.Lock()
	lat := slices.Clone(probe.lat)
	probe.mu.Unlock()
	if len(lat) == 0 {
		return // too few events to close a window (the framework's b.N=1 probe)
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max-ms")
	b.ReportMetric(float64(len(lat)), "windows")
}
