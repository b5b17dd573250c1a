package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/windows"
)

// distConfig has short windows and horizons so a few simulated hours
// exercise closes, idle closes, corrections and drops.
func distConfig() windows.Config {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("EST", -5*3600)
	}
	return windows.Config{
		Windows: []windows.WindowSpec{
			{Size: time.Minute}, {Size: 5 * time.Minute}, {Size: 15 * time.Minute, Slide: 5 * time.Minute},
			{Size: 24 * time.Hour, Calendar: true},
		},
		CorrectionHorizon: 40 * time.Minute,
		IdleTimeout:       3 * time.Minute,
		Zones:             map[string]*time.Location{"t-ny": ny},
	}
}

// step is one batch of events at one processing time.
type step struct {
	now    time.Time
	events []*events.Order
}

// genStream builds a reproducible stream: several tenants, out-of-order
// and late events (some past the correction horizon), redeliveries, a
// tenant that goes quiet (idle closes) and comes back.
func genStream(seed uint64, n int) []step {
	r := rand.New(rand.NewPCG(seed, 7))
	tenants := []string{"t-a", "t-b", "t-c", "t-ny", "t-quiet"}
	types := []events.EventType{events.OrderCreated, events.OrderCreated, events.OrderCompleted, events.OrderCancelled, events.OrderRefunded}
	currencies := []string{"USD", "USD", "EUR"}
	start := time.Date(2026, 3, 8, 4, 40, 0, 0, time.UTC) // near midnight in New York, DST day
	var sent []*events.Order
	var steps []step
	clock := start
	id := 0
	for len(sent) < n {
		clock = clock.Add(time.Duration(5+r.IntN(40)) * time.Second)
		st := step{now: clock.Add(20 * time.Second)}
		for range 1 + r.IntN(12) {
			var o *events.Order
			switch p := r.Float64(); {
			case p < 0.08 && len(sent) > 0: // redelivery of an earlier message
				o = sent[r.IntN(len(sent))]
			default:
				tn := tenants[r.IntN(len(tenants))]
				if tn == "t-quiet" && clock.Sub(start) > 40*time.Minute && clock.Sub(start) < 90*time.Minute {
					tn = "t-a"
				}
				at := clock.Add(-time.Duration(r.IntN(90)) * time.Second)
				if p < 0.16 {
					at = clock.Add(-time.Duration(2+r.IntN(70)) * time.Minute) // late, some past the horizon
				}
				id++
				o = &events.Order{
					EventID: fmt.Sprintf("ev-%d", id), Type: types[r.IntN(len(types))], TenantID: tn,
					OrderID: fmt.Sprintf("o-%d", id), CustomerID: fmt.Sprintf("c-%d", r.IntN(40)),
					Amount: int64(100 + r.IntN(5000)), Currency: currencies[r.IntN(len(currencies))], OccurredAt: at,
					Items: []events.Item{{SKU: "s", Quantity: int64(1 + r.IntN(3)), UnitPrice: 100}},
				}
				sent = append(sent, o)
			}
			st.events = append(st.events, o)
		}
		steps = append(steps, st)
	}
	return steps
}

// key identifies one emitted record.
type key struct {
	tenant, size, currency string
	start                  time.Time
	rev                    int
}

type recorder struct {
	out map[key][]windows.Closed
}

func newRecorder() *recorder { return &recorder{out: map[key][]windows.Closed{}} }

func (r *recorder) emit(c windows.Closed) {
	k := key{c.TenantID, c.Window.Size, c.Metrics.Currency, c.Window.Start, c.Revision}
	r.out[k] = append(r.out[k], c)
}

// replica is one simulated Pulse replica: an engine in distributed mode
// with its own lease manager, sharing the Store (one Redis) with others.
type replica struct {
	e      *windows.Engine
	leases *Leases
	alive  bool
}

const testShards = 4

func newReplica(t *testing.T, s *Store, ttl time.Duration, max int) *replica {
	t.Helper()
	l, err := NewLeases(s, LeasesConfig{Shards: testShards, TTL: ttl, Max: max})
	if err != nil {
		t.Fatal(err)
	}
	cfg := distConfig()
	cfg.Distributed = &windows.Distributed{Remote: s, Leases: l, Shards: testShards}
	e, err := windows.NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &replica{e: e, leases: l, alive: true}
}

// compare checks that the replicas' union equals the single engine's
// output record for record, and that nothing was emitted twice.
func compare(t *testing.T, want, got *recorder) {
	t.Helper()
	for k, cs := range got.out {
		if len(cs) > 1 {
			t.Errorf("%+v emitted %d times", k, len(cs))
		}
	}
	var keys []key
	for k := range want.out {
		keys = append(keys, k)
	}
	for k := range got.out {
		if _, ok := want.out[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b key) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
	bad := 0
	for _, k := range keys {
		w, g := want.out[k], got.out[k]
		if len(w) == 0 || len(g) == 0 || w[0] != g[0] {
			bad++
			if bad <= 10 {
				t.Errorf("%+v:\n single: %+v\n replicas: %+v", k, w, g)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d records differ", bad, len(keys))
	}
}

func runSingle(t *testing.T, steps []step, end time.Time) *recorder {
	t.Helper()
	e, err := windows.NewEngine(distConfig())
	if err != nil {
		t.Fatal(err)
	}
	rec := newRecorder()
	res := make([]windows.ApplyResult, 64)
	for _, st := range steps {
		if err := e.ApplyBatch(st.events, st.now, res); err != nil {
			t.Fatal(err)
		}
		if err := e.Advance(st.now, rec.emit); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Advance(end, rec.emit); err != nil {
		t.Fatal(err)
	}
	return rec
}

// runReplicas splits every batch at random between the live replicas,
// then lets every live replica advance (only lease holders close).
// between is called before each step.
func runReplicas(t *testing.T, rs []*replica, steps []step, end time.Time, seed uint64, between func(i int)) *recorder {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 11))
	rec := newRecorder()
	res := make([]windows.ApplyResult, 64)
	advance := func(now time.Time) {
		for _, rp := range rs {
			if !rp.alive {
				continue
			}
			if err := rp.e.Advance(now, rec.emit); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, st := range steps {
		if between != nil {
			between(i)
		}
		var live []*replica
		for _, rp := range rs {
			if rp.alive {
				live = append(live, rp)
			}
		}
		parts := make([][]*events.Order, len(live))
		for _, o := range st.events {
			j := r.IntN(len(live))
			parts[j] = append(parts[j], o)
		}
		for j, rp := range live {
			if err := rp.e.ApplyBatch(parts[j], st.now, res); err != nil {
				t.Fatal(err)
			}
		}
		advance(st.now)
	}
	advance(end)
	return rec
}

func tickAll(t *testing.T, rs []*replica) {
	t.Helper()
	for _, rp := range rs {
		if rp.alive {
			if err := rp.leases.Tick(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// Three replicas share one Redis; each takes a random part of every batch
// and closes only its lease shards. Their union must be the single
// in-memory engine's output: same windows, revisions and figures, and no
// record twice.
func TestReplicasMatchSingleEngine(t *testing.T) {
	s := openStore(t, Config{})
	steps := genStream(1, 1500)
	end := steps[len(steps)-1].now.Add(2 * time.Hour)
	want := runSingle(t, steps, end)

	rs := []*replica{newReplica(t, s, time.Minute, 2), newReplica(t, s, time.Minute, 1), newReplica(t, s, time.Minute, 1)}
	tickAll(t, rs)
	held := 0
	for _, rp := range rs {
		if len(rp.leases.Held()) == 0 {
			t.Fatal("a replica holds no shard: the test would not exercise sharing")
		}
		held += len(rp.leases.Held())
	}
	if held != testShards {
		t.Fatalf("%d shards held, want %d", held, testShards)
	}
	got := runReplicas(t, rs, steps, end, 2, nil)
	compare(t, want, got)

	var corrections, idle, drops int64
	for _, rp := range rs {
		st := rp.e.Stats()
		corrections += st.Corrections
		drops += st.DroppedLateEvents
	}
	for _, cs := range got.out {
		if cs[0].Reason == windows.ReasonIdle {
			idle++
		}
	}
	if corrections == 0 || idle == 0 || drops == 0 {
		t.Fatalf("stream too tame: %d corrections, %d idle closes, %d dropped", corrections, idle, drops)
	}
	t.Logf("%d records, %d corrections, %d idle closes, %d events dropped as too late", len(got.out), corrections, idle, drops)
}

// The holder of every shard stops renewing (and working) half way; a
// second replica takes the leases once they expire and carries on:
// nothing skipped, nothing emitted twice.
func TestLeaseHandover(t *testing.T) {
	s := openStore(t, Config{})
	steps := genStream(3, 800)
	end := steps[len(steps)-1].now.Add(2 * time.Hour)
	want := runSingle(t, steps, end)

	const ttl = 2 * time.Second // long enough that a renewing replica keeps it on a loaded machine
	a, b := newReplica(t, s, ttl, 0), newReplica(t, s, ttl, 0)
	rs := []*replica{a, b}
	if err := a.leases.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(a.leases.Held()) != testShards {
		t.Fatalf("a holds %v", a.leases.Held())
	}
	got := runReplicas(t, rs, steps, end, 4, func(i int) {
		switch {
		case i < len(steps)/2:
			// a renews; b tries and gets nothing
			tickAll(t, rs)
			if h := b.leases.Held(); len(h) != 0 {
				t.Fatalf("b took %v while a renews", h)
			}
		case i == len(steps)/2:
			a.alive = false // dies: no renewals, no applies, no closes
			for len(b.leases.Held()) < testShards {
				if err := b.leases.Tick(context.Background()); err != nil {
					t.Fatal(err)
				}
				for _, sh := range b.leases.Held() {
					if _, ok := a.leases.Owned(sh); ok {
						t.Fatalf("shard %d held by both", sh)
					}
				}
				time.Sleep(ttl / 10) // poll interval while waiting for the leases to expire
			}
		default:
			tickAll(t, rs)
		}
	})
	compare(t, want, got)
}

// A replica whose lease was taken over cannot write: its closing steps
// are fenced and it emits nothing.
func TestStaleHolderIsFenced(t *testing.T) {
	s := openStore(t, Config{})
	a := newReplica(t, s, time.Minute, 0)
	if err := a.leases.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	steps := genStream(5, 200)
	res := make([]windows.ApplyResult, 64)
	for _, st := range steps {
		if err := a.e.ApplyBatch(st.events, st.now, res); err != nil {
			t.Fatal(err)
		}
	}
	// Another replica takes every lease (as after an expiry).
	stale := map[int]string{}
	for sh := range testShards {
		tok, _ := a.leases.Owned(sh)
		stale[sh] = tok
		if err := s.c.Del(context.Background(), s.cfg.Prefix+"lease:"+fmt.Sprint(sh)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	b := newReplica(t, s, time.Minute, 0)
	if err := b.leases.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := distConfig()
	cfg.Distributed = &windows.Distributed{Remote: s, Leases: staticLeases(stale), Shards: testShards}
	ghost, err := windows.NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = ghost.Advance(steps[len(steps)-1].now.Add(time.Hour), func(windows.Closed) { n++ })
	if !errors.Is(err, windows.ErrFenced) || n != 0 {
		t.Fatalf("stale holder: err %v, %d records emitted", err, n)
	}
	// The real holder closes everything.
	rec := newRecorder()
	if err := b.e.Advance(steps[len(steps)-1].now.Add(time.Hour), rec.emit); err != nil {
		t.Fatal(err)
	}
	if len(rec.out) == 0 {
		t.Fatal("new holder closed nothing")
	}
}

type staticLeases map[int]string

func (l staticLeases) Owned(shard int) (string, bool) { tok, ok := l[shard]; return tok, ok }

// lapsingLeases reports a shard held when asked first (whether to close
// it), and lost from then on: the lease lapses while the holder reads its
// closes.
type lapsingLeases struct {
	windows.Leases
	asked map[int]bool
}

func (l *lapsingLeases) Owned(shard int) (string, bool) {
	if l.asked[shard] {
		return "", false
	}
	l.asked[shard] = true
	return l.Leases.Owned(shard)
}

// countsCommits is a Remote that counts the close steps committed.
type countsCommits struct {
	windows.Remote
	commits int
}

func (r *countsCommits) Commit(token string, shard int, tenant string, c *windows.Commit) error {
	r.commits++
	return r.Remote.Commit(token, shard, tenant, c)
}

func applied(t *testing.T, seed uint64) (*Store, *replica, []step) {
	t.Helper()
	s := openStore(t, Config{})
	a := newReplica(t, s, time.Minute, 0)
	if err := a.leases.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	steps := genStream(seed, 200)
	res := make([]windows.ApplyResult, 64)
	for _, st := range steps {
		if err := a.e.ApplyBatch(st.events, st.now, res); err != nil {
			t.Fatal(err)
		}
	}
	return s, a, steps
}

// A holder whose lease lapses while it reads a close publishes none of it
// and commits nothing; the holder after it publishes every result once.
func TestLeaseLapsedMidClosePublishesNothing(t *testing.T) {
	s, a, steps := applied(t, 9)
	end := steps[len(steps)-1].now.Add(time.Hour)
	remote := &countsCommits{Remote: s}
	cfg := distConfig()
	cfg.Distributed = &windows.Distributed{Remote: remote, Leases: &lapsingLeases{Leases: a.leases, asked: map[int]bool{}}, Shards: testShards}
	old, err := windows.NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := old.Advance(end, func(windows.Closed) { n++ }); !errors.Is(err, windows.ErrFenced) {
		t.Fatalf("advance: %v, want fenced", err)
	}
	if n != 0 || remote.commits != 0 {
		t.Fatalf("the holder whose lease lapsed published %d results and committed %d steps", n, remote.commits)
	}
	if st := old.Stats(); st.WindowsClosed != 0 || st.Corrections != 0 {
		t.Fatalf("unpublished results counted: %+v", st)
	}
	rec := newRecorder()
	if err := a.e.Advance(end, rec.emit); err != nil {
		t.Fatal(err)
	}
	compare(t, holderOf(t, steps, end), rec)
}

// Results are published (Sync) before they are committed: when Sync
// fails nothing is committed, and the next attempt publishes the same
// results again, under the same ids (at least once, nothing lost).
func TestResultsSyncBeforeTheyCommit(t *testing.T) {
	s, a, steps := applied(t, 10)
	end := steps[len(steps)-1].now.Add(time.Hour)
	remote := &countsCommits{Remote: s}
	var order []string
	syncErr := errors.New("pub/sub unavailable")
	cfg := distConfig()
	cfg.Distributed = &windows.Distributed{Remote: remote, Leases: a.leases, Shards: testShards,
		Sync: func(string) error { order = append(order, "sync"); return syncErr }}
	e, err := windows.NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	first := newRecorder()
	err = e.Advance(end, func(c windows.Closed) { order = append(order, "emit"); first.emit(c) })
	if !errors.Is(err, syncErr) || remote.commits != 0 || len(first.out) == 0 {
		t.Fatalf("advance: %v, %d commits, %d results; want the sync error, no commit, results emitted", err, remote.commits, len(first.out))
	}
	if order[len(order)-1] != "sync" {
		t.Fatalf("sync did not follow the emits: %v", order)
	}
	syncErr = nil
	second := newRecorder()
	if err := e.Advance(end, second.emit); err != nil {
		t.Fatal(err)
	}
	if remote.commits == 0 {
		t.Fatal("nothing committed once sync succeeded")
	}
	compare(t, holderOf(t, steps, end), second)
	for k, cs := range first.out {
		if again := second.out[k]; len(again) != len(cs) || again[0] != cs[0] {
			t.Fatalf("%+v published before the failed sync as %+v, again as %+v", k, cs, again)
		}
	}
}

// holderOf is what a holder that never lost its lease publishes at end for
// the steps applied before it.
func holderOf(t *testing.T, steps []step, end time.Time) *recorder {
	t.Helper()
	b := newReplica(t, openStore(t, Config{}), time.Minute, 0)
	if err := b.leases.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	res := make([]windows.ApplyResult, 64)
	for _, st := range steps {
		if err := b.e.ApplyBatch(st.events, st.now, res); err != nil {
			t.Fatal(err)
		}
	}
	want := newRecorder()
	if err := b.e.Advance(end, want.emit); err != nil {
		t.Fatal(err)
	}
	if len(want.out) == 0 {
		t.Fatal("nothing to compare")
	}
	return want
}
