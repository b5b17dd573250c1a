package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/windows"
)

type opRecorder struct {
	mu     sync.Mutex
	calls  map[string]int
	errs   map[string]int
	fenced int
}

func (r *opRecorder) ObserveOp(op string, took time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if took <= 0 {
		r.errs["non-positive duration of "+op]++
	}
	r.calls[op]++
	if err != nil {
		r.errs[op]++
	}
	if errors.Is(err, windows.ErrFenced) {
		r.fenced++
	}
}

// A distributed run (apply, close, correct, forget, fenced writes, leases)
// reports every operation to the Observer, fenced writes as ErrFenced, and
// the engine reports the watermark lag of the active tenants read from the
// shared metadata.
func TestObserverSeesEveryOperation(t *testing.T) {
	rec := &opRecorder{calls: map[string]int{}, errs: map[string]int{}}
	s := openStore(t, Config{Observer: rec})
	l, err := NewLeases(s, LeasesConfig{Shards: testShards, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	var lags []time.Duration
	cfg := distConfig()
	cfg.Distributed = &windows.Distributed{Remote: s, Leases: l, Shards: testShards}
	cfg.WatermarkLag = func(d time.Duration) { lags = append(lags, d) }
	e, err := windows.NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}

	steps := genStream(5, 200)
	res := make([]windows.ApplyResult, 64)
	type activity struct{ maxT, last time.Time }
	seen := map[*events.Order]bool{}
	tenants := map[string]activity{}
	for _, st := range steps {
		if err := e.ApplyBatch(st.events, st.now, res); err != nil {
			t.Fatal(err)
		}
		if err := e.Advance(st.now, func(windows.Closed) {}); err != nil { // closes, then corrections
			t.Fatal(err)
		}
		for _, o := range st.events {
			if seen[o] {
				continue // a redelivery: a duplicate changes no metadata
			}
			seen[o] = true
			a := tenants[o.TenantID]
			if o.OccurredAt.After(a.maxT) {
				a.maxT = o.OccurredAt
			}
			a.last = st.now
			tenants[o.TenantID] = a
		}
	}
	at := steps[len(steps)-1].now
	var want []time.Duration
	for _, a := range tenants {
		if at.Sub(a.last) <= cfg.IdleTimeout {
			want = append(want, max(at.Sub(a.maxT.Add(-windows.DefaultOutOfOrderness)), 0))
		}
	}
	lags = lags[:0]
	if err := e.Advance(at, func(windows.Closed) {}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(lags)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(lags, want) {
		t.Errorf("watermark lags %v, want %v", lags, want)
	}
	// Past the dedup horizon every tenant is idle and forgotten.
	if err := e.Advance(at.Add(30*time.Hour), func(windows.Closed) {}); err != nil {
		t.Fatal(err)
	}

	// Single-engine use of the same store.
	u := []windows.Update{{Tenant: "solo", EventKey: 1, At: at.UnixNano(), Currency: "USD", Grids: 1}}
	if err := s.Apply(u, make([]bool, 1)); err != nil {
		t.Fatal(err)
	}
	var panes [windows.MaxGrids][]int64
	if err := s.Evict("solo", &panes, at.UnixNano()); err != nil {
		t.Fatal(err)
	}

	// The window log.
	if err := s.AppendWindow("solo|1h|USD", at.UnixNano(), []byte{1}, 10, time.Hour); err != nil {
		t.Fatal(err)
	}
	if recs, err := s.WindowsBetween("solo|1h|USD", math.MinInt64, math.MaxInt64); err != nil || len(recs) != 1 {
		t.Fatalf("window log: %d records, %v", len(recs), err)
	}

	// The basket log and a saved model.
	if err := s.ReadBaskets([]string{"solo"}, []string{""}, 10, make([]bool, 1), func(int, string, string) {}); err != nil {
		t.Fatal(err)
	}
	tok, _ := l.Owned(0)
	if err := s.SaveModel(tok, 0, "solo", "1-0", 1, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.LoadModel("solo", "", 0); err != nil {
		t.Fatal(err)
	}

	// A closing write with a stale token is fenced.
	if err := s.Begin("stale", 0, "t-a", at.UnixNano(), at.UnixNano()); !errors.Is(err, windows.ErrFenced) {
		t.Fatalf("begin with a stale token: %v", err)
	}
	if err := l.Release(context.Background()); err != nil {
		t.Fatal(err)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, op := range Ops {
		if rec.calls[op] == 0 {
			t.Errorf("operation %s never observed (saw %v)", op, rec.calls)
		}
	}
	if rec.fenced != 1 || rec.errs[OpBegin] != 1 || len(rec.errs) != 1 {
		t.Errorf("errors observed %v, fenced %d; want one fenced begin", rec.errs, rec.fenced)
	}
	t.Log(fmt.Sprint(rec.calls))
}
