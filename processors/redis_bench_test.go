package processors

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
	"github.com/olympus-cloud/pulse/windows"
	"github.com/olympus-cloud/pulse/windows/redisstore"
)

// noLeases holds no lease: the benchmark measures applying, not closing.
type noLeases struct{}

func (noLeases) Owned(int) (string, bool) { return "", false }

// BenchmarkShardsRedis is the cost per event (ns/op) of `pulse run
// --state redis`'s processing side: 64 concurrent callers (the router's
// in-flight messages) hand generated orders to 8 shards of WindowState in
// distributed mode on the real Redis. maxbatch=1 is one round trip per
// event (before cross-message batching); maxbatch=256 lets each shard
// apply what queued while its previous batch was in flight.
//
// models=true shares the recommendation models as `pulse run --state
// redis` does: every completion and refund also appends its basket to the
// tenant's log inside the apply script (no lease is held, so nothing is
// read back).
func BenchmarkShardsRedis(b *testing.B) {
	for _, mb := range []int{1, 256} {
		b.Run("maxbatch="+strconv.Itoa(mb), func(b *testing.B) { benchShardsRedis(b, mb, false) })
	}
	b.Run("maxbatch=256/models=true", func(b *testing.B) { benchShardsRedis(b, 256, true) })
}

func benchShardsRedis(b *testing.B, maxBatch int, models bool) {
	ctx := context.Background()
	rs := openRedis(b) // keys dropped when the benchmark ends
	orders := benchOrders(b)
	stats := NewStats()
	out := NewOutputs(OutputsConfig{}, nopInsights{}, nil, zerolog.Nop())
	now := eventgen.DefaultStart.Add(365 * 24 * time.Hour)
	shards := benchShards(b, maxBatch, now, out, stats, func(i int) WindowStateConfig {
		cfg := WindowStateConfig{Windows: windows.Config{Distributed: &windows.Distributed{
			Remote: rs, Leases: noLeases{}, Shards: 64, Member: i, Members: 8}}}
		if models {
			cfg.Models = rs
		}
		return cfg
	})
	applyConcurrently(b, ctx, shards, orders)
	_ = shards.Close(ctx)
	_ = out.Close(ctx)
}

// slowInsights publishes after a fixed delay, one insight at a time: a
// stand-in for a Pub/Sub publish round trip.
type slowInsights struct{ d time.Duration }

func (s slowInsights) Publish(ctx context.Context, _ events.Insight) error {
	if s.d > 0 {
		time.Sleep(s.d)
	}
	return nil
}

// BenchmarkShardsRedisClosing is BenchmarkShardsRedis with this replica
// holding every lease, so each shard also closes windows as the traffic's
// event time moves (about 0.2 close per event, busy traffic): the cost of
// publish-before-commit. sync=on is `pulse run`: a close step waits until
// its results are published before its fenced commit; sync=off commits as
// soon as they are queued. publish is the delay of one insight publish.
func BenchmarkShardsRedisClosing(b *testing.B) {
	for _, d := range []time.Duration{0, 10 * time.Millisecond} {
		for _, wait := range []bool{false, true} {
			name := fmt.Sprintf("publish=%s/sync=%t", d, wait)
			b.Run(name, func(b *testing.B) { benchShardsRedisClosing(b, d, wait) })
		}
	}
}

func benchShardsRedisClosing(b *testing.B, publish time.Duration, wait bool) {
	ctx := context.Background()
	rs := openRedis(b)
	const leaseShards = 64
	leases, err := redisstore.NewLeases(rs, redisstore.LeasesConfig{Shards: leaseShards, TTL: time.Hour, Max: leaseShards})
	if err != nil {
		b.Fatal(err)
	}
	if err := leases.Tick(ctx); err != nil {
		b.Fatal(err)
	}
	orders := benchOrders(b)
	stats := NewStats()
	out := NewOutputs(OutputsConfig{}, slowInsights{publish}, nil, zerolog.Nop())
	var syncFn func(string) error
	if wait {
		syncFn = out.Sync
	}
	var published atomic.Int64
	out.Observe(func(events.Insight) { published.Add(1) })
	// Processing time just after the traffic: no idle closes, only
	// watermark closes as event time moves.
	now := eventgen.DefaultStart.Add(2 * time.Hour)
	shards := benchShards(b, 256, now, out, stats, func(i int) WindowStateConfig {
		return WindowStateConfig{Windows: windows.Config{Distributed: &windows.Distributed{
			Remote: rs, Leases: leases, Shards: leaseShards, Member: i, Members: 8, Sync: syncFn}}}
	})
	applyConcurrently(b, ctx, shards, orders)
	_ = shards.Close(ctx)
	_ = out.Close(ctx)
	b.ReportMetric(float64(published.Load())/float64(b.N), "insights/op")
}

// benchOrders is b.N generated messages' valid orders.
func benchOrders(b *testing.B) []*events.Order {
	msgs := ingestTraffic(b, b.N)
	orders := make([]*events.Order, 0, len(msgs))
	for _, m := range msgs {
		if m.Order != nil {
			orders = append(orders, m.Order)
		}
	}
	return orders
}

// applyConcurrently times 64 callers (the router's in-flight messages)
// handing orders to shards.
func applyConcurrently(b *testing.B, ctx context.Context, shards *Shards, orders []*events.Order) {
	b.ReportAllocs()
	b.ResetTimer()
	var wg sync.WaitGroup
	const callers = 64
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < len(orders); i += callers {
				if err := shards.Apply(ctx, orders[i]); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
}

// benchShards is 8 shards of WindowState, configured by cfg(shard), on a
// fixed processing clock, ticking hourly (never, in a benchmark).
func benchShards(b *testing.B, maxBatch int, now time.Time, out *Outputs, stats *Stats, cfg func(int) WindowStateConfig) *Shards {
	return NewShards(ShardsConfig{MaxBatch: maxBatch, TickInterval: time.Hour, Now: func() time.Time { return now }}, func(i int) ShardState {
		ws, err := NewWindowState(cfg(i), out.Emit, stats, zerolog.Nop())
		if err != nil {
			b.Fatal(err)
		}
		return ws
	}, stats)
}
