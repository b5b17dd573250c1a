package processors

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
	"github.com/olympus-cloud/pulse/windows"
	"github.com/olympus-cloud/pulse/windows/redisstore"
	"github.com/olympus-cloud/pulse/windows/redisstore/redistest"
)

// openRedis connects the test's Redis under a fresh key prefix, or skips
// (fails under PULSE_REQUIRE_SERVICES=1) when it is unreachable.
func openRedis(t testing.TB) *redisstore.Store {
	t.Helper()
	redistest.Require(t)
	prefix := redistest.Prefix(t)
	rs, err := redisstore.New(context.Background(), redisstore.Config{Addr: redistest.Addr(), Prefix: prefix, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.Close() })
	return rs
}

// comparedKinds are the insights that follow from closed windows alone.
// Segment changes and recommendations follow from orders, which replicas
// split between them (see the customer store and recommend's doc).
var comparedKinds = []events.Kind{events.KindWindowMetrics, events.KindWindowCorrection,
	events.KindAnomalyOpened, events.KindAnomalyEscalated, events.KindAnomalyResolved,
	"trend", "seasonality", "forecast"}

// TestReplicasPublishTheInsightsOfOne feeds the same generated traffic
// (with injected anomalies) to one in-memory shard and to three replicas
// sharing Redis, each event to one replica in turn. Midway the replica
// holding half the lease shards lets go and an idle one takes them over.
// The replicas together must publish exactly the insights the single
// shard publishes: the same ids with the same content, each once, so the
// detectors and analytics of the shards that changed hands continued
// where they stopped (the window log) instead of warming up again.
func TestReplicasPublishTheInsightsOfOne(t *testing.T) {
	rs := openRedis(t)
	ctx := context.Background()
	gen, err := eventgen.New(eventgen.Config{Seed: 5, Tenants: 4, Start: eventgen.DefaultStart, Duration: 60 * time.Hour,
		TopOrdersPerDay: 1500, AnomalyRate: 6, MalformedShare: -1, LateShare: -1, OutOfOrderShare: -1, DuplicateShare: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	var orders []*events.Order
	for {
		m, ok := gen.Next()
		if !ok {
			break
		}
		if m.Order != nil {
			orders = append(orders, m.Order)
		}
	}
	base := WindowStateConfig{EventTimeInsights: true, Windows: windows.Config{IdleTimeout: 1000 * time.Hour}}

	collect := func(dst *[]events.Insight) func(events.Insight) {
		return func(in events.Insight) {
			if slices.Contains(comparedKinds, in.Kind) {
				*dst = append(*dst, in)
			}
		}
	}
	var single, shared []events.Insight
	one, err := NewWindowState(base, collect(&single), NewStats(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	const leaseShards = 16
	type replica struct {
		ws     *WindowState
		leases *redisstore.Leases
		stats  *Stats
	}
	var replicas []*replica
	for i, max := range []int{8, 8, leaseShards} {
		l, err := redisstore.NewLeases(rs, redisstore.LeasesConfig{Shards: leaseShards, TTL: time.Minute, Max: max, Owner: fmt.Sprint("replica-", i)})
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		c := base
		c.Windows.Distributed = &windows.Distributed{Remote: rs, Leases: l, Shards: leaseShards}
		c.Log = rs
		r := &replica{leases: l, stats: NewStats()}
		if r.ws, err = NewWindowState(c, collect(&shared), r.stats, zerolog.Nop()); err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, r)
	}
	if len(replicas[0].leases.Held()) != 8 || len(replicas[1].leases.Held()) != 8 || len(replicas[2].leases.Held()) != 0 {
		t.Fatalf("leases held %v %v %v, want 8, 8 and none", replicas[0].leases.Held(), replicas[1].leases.Held(), replicas[2].leases.Held())
	}

	// Batches of 40 events; the processing clock is the last event's time,
	// so every close is a watermark close, the same on both sides.
	const batch = 40
	handover := len(orders) / 2 / batch * batch
	errs := make([]error, batch)
	for i := 0; i < len(orders); i += batch {
		b := orders[i:min(i+batch, len(orders))]
		now := b[len(b)-1].OccurredAt.Add(time.Second)
		if i == handover {
			if err := replicas[0].leases.Release(ctx); err != nil {
				t.Fatal(err)
			}
			if err := replicas[2].leases.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			if n := len(replicas[2].leases.Held()); n != 8 {
				t.Fatalf("the idle replica took %d lease shards, want the 8 released", n)
			}
		}
		one.ApplyBatch(b, now, errs[:len(b)])
		for _, err := range errs[:len(b)] {
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := one.Advance(now); err != nil {
			t.Fatal(err)
		}
		replicas[(i/batch)%len(replicas)].ws.ApplyBatch(b, now, errs[:len(b)])
		for _, err := range errs[:len(b)] {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range replicas {
			if err := r.ws.Advance(now); err != nil {
				t.Fatal(err)
			}
		}
	}

	anomalies := 0
	want := map[string]string{}
	for _, in := range single {
		in.GeneratedAt = time.Time{}
		b, _ := json.Marshal(in)
		want[in.InsightID] = string(b)
		if in.Kind == events.KindAnomalyOpened {
			anomalies++
		}
	}
	if anomalies < 3 {
		t.Fatalf("the single shard opened %d incidents; the traffic needs at least 3 to compare detectors", anomalies)
	}
	got := map[string]string{}
	bad := 0
	for _, in := range shared {
		in.GeneratedAt = time.Time{}
		b, _ := json.Marshal(in)
		if _, dup := got[in.InsightID]; dup {
			t.Errorf("insight %s published twice", in.InsightID)
		}
		got[in.InsightID] = string(b)
		if w, ok := want[in.InsightID]; !ok {
			if bad++; bad <= 5 {
				t.Errorf("replicas published an insight the single shard did not:\n%s", b)
			}
		} else if w != string(b) {
			if bad++; bad <= 5 {
				t.Errorf("insight %s differs:\nsingle:   %s\nreplicas: %s", in.InsightID, w, b)
			}
		}
	}
	for id, w := range want {
		if _, ok := got[id]; !ok {
			if bad++; bad <= 10 {
				t.Errorf("replicas did not publish:\n%s", w)
			}
		}
	}
	replayed := replicas[2].stats.windowsReplayed.Load()
	t.Logf("%d events, %d insights compared (%d incidents opened), %d logged windows replayed by the replica that took over, %d mismatches",
		len(orders), len(want), anomalies, replayed, bad)
	if replayed == 0 {
		t.Fatal("the replica that took over replayed no logged window: the handover did not exercise the window log")
	}
}
