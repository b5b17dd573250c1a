package processors

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
	"github.com/olympus-cloud/pulse/windows"
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
func BenchmarkShardsRedis(b *testing.B) {
	for _, mb := range []int{1, 256} {
		b.Run("maxbatch="+strconv.Itoa(mb), func(b *testing.B) { benchShardsRedis(b, mb) })
	}
}

func benchShardsRedis(b *testing.B, maxBatch int) {
	ctx := context.Background()
	rs := openRedis(b) // keys dropped when the benchmark ends
	msgs := ingestTraffic(b, b.N)
	orders := make([]*events.Order, 0, len(msgs))
	for _, m := range msgs {
		if m.Order != nil {
			orders = append(orders, m.Order)
		}
	}
	stats := NewStats()
	out := NewOutputs(OutputsConfig{}, nopInsights{}, nil, zerolog.Nop())
	now := eventgen.DefaultStart.Add(365 * 24 * time.Hour)
	shards := NewShards(ShardsConfig{MaxBatch: maxBatch, TickInterval: time.Hour, Now: func() time.Time { return now }}, func(i int) ShardState {
		ws, err := NewWindowState(WindowStateConfig{Windows: windows.Config{Distributed: &windows.Distributed{
			Remote: rs, Leases: noLeases{}, Shards: 64, Member: i, Members: 8}}}, out.Emit, stats, zerolog.Nop())
		if err != nil {
			b.Fatal(err)
		}
		return ws
	}, stats)
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
	_ = shards.Close(ctx)
	_ = out.Close(ctx)
}
