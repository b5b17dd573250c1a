package processors

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
	"github.com/olympus-cloud/pulse/processors/recommend"
	"github.com/olympus-cloud/pulse/windows"
	"github.com/olympus-cloud/pulse/windows/redisstore"
)

// recSharingConfig makes a 9-day generated stream say something: 4-hourly
// insights, low thresholds, and summaries small enough to fill (evictions),
// remember few baskets (refunds of forgotten orders) and renormalise (a
// 6-hour half-life rescales after 8 days).
func recSharingConfig() recommend.Config {
	return recommend.Config{HalfLife: 6 * time.Hour, ItemCapacity: 120, PairCapacity: 600, RefundMemory: 1500, MaxBasket: 3,
		MinBaskets: 5, MinItemCount: 1, MinPairCount: 0.5, InsightPeriod: 4 * time.Hour, InsightPairs: 3, InsightLift: 1.3}
}

// recRun is what one side of the comparison published and ended with.
type recRun struct {
	insights map[string]string // recommendation insights by id, as JSON
	dups     int               // insight ids published more than once
	pairs    map[string]string // pair rows by tenant and instant, as JSON
	answers  map[string]recommend.Result
	tenants  []string
	loaded   int64 // saved models loaded on takeovers
	read     int64 // payloads learned from the basket logs
	replay   int   // payloads logged after the saved models at the handover
	model    recommend.Stats
	api      map[string]recommend.Result
}

type recOrders struct {
	orders  []*events.Order
	refunds int
	dups    int
}

func recStream(t *testing.T) recOrders {
	gen, err := eventgen.New(eventgen.Config{Seed: 11, Tenants: 6, Start: eventgen.DefaultStart, Duration: 9 * 24 * time.Hour,
		TopOrdersPerDay: 500, MalformedShare: -1, LateShare: -1, OutOfOrderShare: -1, DuplicateShare: 0.03})
	if err != nil {
		t.Fatal(err)
	}
	var r recOrders
	seen := map[string]bool{}
	for {
		m, ok := gen.Next()
		if !ok {
			break
		}
		if o := m.Order; o != nil {
			r.orders = append(r.orders, o)
			if o.Type == events.OrderRefunded {
				r.refunds++
			}
			if seen[o.EventID] {
				r.dups++
			}
			seen[o.EventID] = true
		}
	}
	return r
}

// recSample lists the SKUs whose answers are compared: both SKUs of every
// pair the single shard would export at the end.
func recSample(m *recommend.Model, tenant string, at time.Time) []string {
	var skus []string
	for _, p := range m.Pairs(tenant, at) {
		skus = append(skus, p.SKUA, p.SKUB)
	}
	slices.Sort(skus)
	return slices.Compact(skus)
}

// runRecommendations feeds the orders, in batches of 40 and each batch to
// one replica in turn, to three replicas sharing Redis (the sharing off
// when share is false: today's behaviour before shared models), with the
// replica holding half the lease shards letting go midway and an idle one
// taking them over; or, with replicas 0, to one in-memory shard. It
// returns what was published and the lease holders' answers at the end.
func runRecommendations(t *testing.T, in recOrders, replicas int, share bool, sample map[string][]string) recRun {
	t.Helper()
	ctx := context.Background()
	run := recRun{insights: map[string]string{}, pairs: map[string]string{}, answers: map[string]recommend.Result{}, api: map[string]recommend.Result{}}
	base := WindowStateConfig{EventTimeInsights: true, Windows: windows.Config{IdleTimeout: 1000 * time.Hour},
		Recommend: recSharingConfig(),
		// Saves are rare, so the replica that takes over replays hours of
		// the basket log after the model it loads.
		ModelSaveEvery: 3 * time.Hour}
	base.RecommendPairs = func(tenant string, rows []recommend.PairRow) {
		b, _ := json.Marshal(rows)
		k := tenant + "@" + rows[0].ComputedAt.Format(time.RFC3339Nano)
		if _, dup := run.pairs[k]; dup {
			run.dups++
		}
		run.pairs[k] = string(b)
	}
	emit := func(in events.Insight) {
		if in.Kind != recommend.KindRecommendation {
			return
		}
		b, _ := json.Marshal(in)
		if _, dup := run.insights[in.InsightID]; dup {
			run.dups++
		}
		run.insights[in.InsightID] = string(b)
	}

	type replica struct {
		ws     *WindowState
		leases *redisstore.Leases
		stats  *Stats
	}
	var rs []*replica
	var store *redisstore.Store
	const leaseShards = 16
	if replicas == 0 {
		ws, err := NewWindowState(base, emit, NewStats(), zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, &replica{ws: ws})
	} else {
		store = openRedis(t)
		for i, max := range []int{8, 8, leaseShards}[:replicas] {
			l, err := redisstore.NewLeases(store, redisstore.LeasesConfig{Shards: leaseShards, TTL: time.Minute, Max: max, Owner: fmt.Sprint("replica-", i)})
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			c := base
			c.Windows.Distributed = &windows.Distributed{Remote: store, Leases: l, Shards: leaseShards}
			c.Log = store
			if share {
				c.Models = store
			}
			r := &replica{leases: l, stats: NewStats()}
			var err2 error
			if r.ws, err2 = NewWindowState(c, emit, r.stats, zerolog.Nop()); err2 != nil {
				t.Fatal(err2)
			}
			rs = append(rs, r)
		}
	}

	const batch = 40
	orders := in.orders
	handover := len(orders) / 2 / batch * batch
	errs := make([]error, batch)
	var now time.Time
	for i := 0; i < len(orders); i += batch {
		b := orders[i:min(i+batch, len(orders))]
		now = b[len(b)-1].OccurredAt.Add(time.Second)
		if i == handover && replicas > 0 {
			if err := rs[0].leases.Release(ctx); err != nil {
				t.Fatal(err)
			}
			if err := rs[2].leases.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			if n := len(rs[2].leases.Held()); n != 8 {
				t.Fatalf("the idle replica took %d lease shards, want the 8 released", n)
			}
			if share {
				run.replay = pendingBaskets(t, store, rs[2].leases, leaseShards)
			}
		}
		if (i/batch)%50 == 49 && replicas > 0 {
			// Renew the leases (same tokens): the run takes wall time.
			for _, r := range rs {
				if err := r.leases.Tick(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		rs[(i/batch)%len(rs)].ws.ApplyBatch(b, now, errs[:len(b)])
		for _, err := range errs[:len(b)] {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, r := range rs {
			if err := r.ws.Advance(now); err != nil {
				t.Fatal(err)
			}
		}
	}
	// One more tick a save period on, so the holders save their models.
	now = now.Add(base.ModelSaveEvery)
	for _, r := range rs {
		if err := r.ws.Advance(now); err != nil {
			t.Fatal(err)
		}
	}

	// The answers of each tenant's lease holder (of the one shard).
	holder := func(tenant string) *WindowState {
		if replicas == 0 {
			return rs[0].ws
		}
		for _, r := range rs {
			if _, ok := r.leases.Owned(windows.ShardOf(tenant, leaseShards)); ok {
				return r.ws
			}
		}
		t.Fatalf("no replica holds tenant %s", tenant)
		return nil
	}
	var reader *SharedRecommendations
	if replicas > 0 {
		var err error
		if reader, err = NewSharedRecommendations(SharedRecommendationsConfig{Models: store, Recommend: base.Recommend}); err != nil {
			t.Fatal(err)
		}
	}
	if replicas == 0 {
		run.model = rs[0].ws.Recommendations().Stats()
	}
	for _, r := range rs {
		if r.stats != nil {
			run.loaded += r.stats.modelsLoaded.Load()
			run.read += r.stats.basketsRead.Load()
		}
	}
	if sample == nil {
		sample = map[string][]string{}
		m := rs[0].ws.Recommendations()
		run.tenants = m.Tenants()
		for _, tn := range run.tenants {
			sample[tn] = recSample(m, tn, now)
		}
	}
	for tn, skus := range sample {
		m := holder(tn).Recommendations()
		var snap *recommend.Snapshot
		if reader != nil {
			var err error
			if snap, err = reader.Lookup(tn); err != nil {
				t.Fatal(err)
			}
		} else {
			snap = m.Snapshot(tn, now)
		}
		for _, sku := range skus {
			res, err := m.Recommend(tn, sku, 10, now)
			if err != nil {
				t.Fatal(err)
			}
			run.answers[tn+"/"+sku] = res
			if snap != nil {
				if res, err = snap.RecommendAt(sku, 10, now); err != nil {
					t.Fatal(err)
				}
				run.api[tn+"/"+sku] = res
			}
		}
	}
	return run
}

// pendingBaskets counts the payloads logged after the saved models of the
// tenants of the lease shards l holds: what the new holder must replay.
func pendingBaskets(t *testing.T, s *redisstore.Store, l *redisstore.Leases, shards int) int {
	t.Helper()
	n := 0
	for _, shard := range l.Held() {
		tenants, err := s.Tenants(shard)
		if err != nil {
			t.Fatal(err)
		}
		for _, tn := range tenants {
			id, _, _, err := s.LoadModel(tn, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			if id == "" {
				t.Fatalf("tenant %s was never saved before the handover", tn)
			}
			err = s.ReadBaskets([]string{tn}, []string{id}, 100_000, make([]bool, 1), func(int, string, string) { n++ })
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	return n
}

// closeEnough compares two figures with a relative tolerance of 1e-12.
// The shared models learn the orders in the order of the basket log, one
// model after another across the handover (a saved model, then the log
// after it); a single shard learns them in its arrival order. Here the
// two orders are the same, and the figures are expected to be identical
// to the bit; in production the log interleaves replicas, and sums of the
// same weights in another order may differ in their last bits.
func closeEnough(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
}

// diffResults counts the answers that differ, and reports the first few
// to errorf when it is set.
func diffResults(errorf func(string, ...any), what string, want, got map[string]recommend.Result) (bad, exact int) {
	report := func(format string, args ...any) {
		if bad++; bad <= 5 && errorf != nil {
			errorf(what+": "+format, args...)
		}
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			report("%s: no answer", k)
			continue
		}
		same := g.ColdStart == w.ColdStart && len(g.Items) == len(w.Items) && closeEnough(g.Baskets, w.Baskets) &&
			closeEnough(g.SKUCount, w.SKUCount) && closeEnough(g.PairErrorBound, w.PairErrorBound)
		for i := 0; same && i < len(g.Items); i++ {
			a, b := g.Items[i], w.Items[i]
			same = a.SKU == b.SKU && closeEnough(a.Lift, b.Lift) && closeEnough(a.Confidence, b.Confidence) &&
				closeEnough(a.Support, b.Support) && closeEnough(a.Count, b.Count)
		}
		if !same {
			report("%s:\nsingle   %+v\nreplicas %+v", k, w, g)
			continue
		}
		gj, _ := json.Marshal(g)
		wj, _ := json.Marshal(w)
		if string(gj) == string(wj) {
			exact++
		}
	}
	return bad, exact
}

func diffPublished(t *testing.T, what string, want, got map[string]string) int {
	t.Helper()
	bad := 0
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			if bad++; bad <= 3 {
				t.Errorf("%s %s:\nsingle   %s\nreplicas %s", what, k, w, g)
			}
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			if bad++; bad <= 6 {
				t.Errorf("%s %s published by the replicas only:\n%s", what, k, g)
			}
		}
	}
	return bad
}

// TestReplicasShareOneRecommendationModel feeds the same generated orders
// (items, redeliveries, full and partial refunds) to one in-memory shard
// and to three replicas sharing Redis, each batch to one replica in turn,
// with a lease handover midway. Every tenant's lease holder must end with
// the single shard's model: the same answers (partner, lift, confidence,
// support, counts) for every SKU of an exported pair, and the replicas
// together must publish exactly the single shard's recommendation
// insights and pair rows, each once. A replica that does not hold the
// tenant answers the API from the saved model with the same figures.
func TestReplicasShareOneRecommendationModel(t *testing.T) {
	in := recStream(t)
	single := runRecommendations(t, in, 0, false, nil)
	if st := single.model; len(single.insights) < 20 || len(single.pairs) < 20 || in.dups < 20 || st.RefundsExact < 10 || st.RefundsApprox < 10 || st.Truncated == 0 {
		t.Fatalf("%d insights, %d pair exports, %d redeliveries, model %+v: the traffic is too thin to compare",
			len(single.insights), len(single.pairs), in.dups, st)
	}
	sample := map[string][]string{}
	for k := range single.answers {
		tn, sku, _ := strings.Cut(k, "/")
		sample[tn] = append(sample[tn], sku)
	}
	shared := runRecommendations(t, in, 3, true, sample)
	bad := diffPublished(t, "insight", single.insights, shared.insights) + diffPublished(t, "pair rows", single.pairs, shared.pairs)
	if shared.dups != 0 {
		t.Errorf("%d insights or pair exports published twice", shared.dups)
	}
	b1, exact := diffResults(t.Errorf, "lease holder", single.answers, shared.answers)
	b2, _ := diffResults(t.Errorf, "api on any replica", single.api, shared.api)
	t.Logf("single shard's model: %+v", single.model)
	t.Logf("%d orders (%d refunds, %d redeliveries), %d tenants; %d insights and %d pair exports compared; %d answers compared, %d identical to the bit; "+
		"%d payloads read from the logs, %d saved models loaded on the takeover with %d payloads logged after them; %d mismatches",
		len(in.orders), in.refunds, in.dups, len(single.tenants), len(single.insights), len(single.pairs), len(single.answers), exact,
		shared.read, shared.loaded, shared.replay, bad+b1+b2)
	if len(single.answers) < 50 || len(single.api) != len(single.answers) {
		t.Fatalf("%d answers (%d through the api) compared: too few", len(single.answers), len(single.api))
	}
	if shared.loaded == 0 || shared.replay == 0 {
		t.Fatalf("%d saved models loaded, %d payloads to replay after them: the handover did not exercise the shared models", shared.loaded, shared.replay)
	}
}

// Without shared models (today's behaviour before them: each replica
// learns the orders it received), the same comparison fails: the
// comparison can tell.
func TestReplicasWithoutSharedModelsDiffer(t *testing.T) {
	in := recStream(t)
	single := runRecommendations(t, in, 0, false, nil)
	sample := map[string][]string{}
	for k := range single.answers {
		tn, sku, _ := strings.Cut(k, "/")
		sample[tn] = append(sample[tn], sku)
	}
	apart := runRecommendations(t, in, 3, false, sample)
	bad, _ := diffResults(nil, "", single.answers, apart.answers)
	pub := 0
	for id, w := range single.insights {
		if apart.insights[id] != w {
			pub++
		}
	}
	t.Logf("without sharing: %d of %d answers and %d of %d insights differ", bad, len(single.answers), pub, len(single.insights))
	if bad < len(single.answers)/2 || pub < len(single.insights)/2 {
		t.Fatalf("only %d answers and %d insights differ without sharing: the comparison does not discriminate", bad, pub)
	}
}
