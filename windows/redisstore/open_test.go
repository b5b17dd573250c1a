package redisstore

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/windows"
)

// Open windows read from Redis equal the in-memory engine's on the same
// stream (out of order, late and duplicate events, idle closes), asked
// every few batches of every replica, lease holder or not, for every
// tenant and window size; and no look changes what is emitted.
func TestOpenWindowsMatchSingleEngine(t *testing.T) {
	s := openStore(t, Config{})
	steps := genStream(5, 900)
	end := steps[len(steps)-1].now.Add(2 * time.Hour)
	want := runSingle(t, steps, end)

	mem, err := windows.NewEngine(distConfig())
	if err != nil {
		t.Fatal(err)
	}
	rs := []*replica{newReplica(t, s, time.Minute, 2), newReplica(t, s, time.Minute, 2)}
	tickAll(t, rs)
	tenants := []string{"t-a", "t-b", "t-c", "t-ny", "t-quiet", "t-never"}
	var sizes []string
	for _, w := range distConfig().Windows {
		sizes = append(sizes, w.Label())
	}
	r := rand.New(rand.NewPCG(5, 13))
	res := make([]windows.ApplyResult, 64)
	looks, windowsSeen := 0, 0
	got := runReplicas(t, rs, steps, end, 6, func(i int) {
		if i > 0 {
			prev := steps[i-1]
			if err := mem.ApplyBatch(prev.events, prev.now, res); err != nil {
				t.Fatal(err)
			}
			if err := mem.Advance(prev.now, func(windows.Closed) {}); err != nil {
				t.Fatal(err)
			}
		}
		if i == 0 || i%25 != 0 {
			return
		}
		// The replicas have applied and advanced steps[:i]: so has mem.
		for _, tenant := range tenants {
			for _, size := range sizes {
				wantOpen, err := mem.OpenWindows(tenant, size, nil)
				if err != nil {
					t.Fatal(err)
				}
				gotOpen, err := rs[r.IntN(len(rs))].e.OpenWindows(tenant, size, nil)
				if err != nil {
					t.Fatal(err)
				}
				looks++
				windowsSeen += len(wantOpen)
				if len(gotOpen) != len(wantOpen) {
					t.Fatalf("step %d %s %s: %d open windows from redis, %d in memory\nredis %+v\nmemory %+v", i, tenant, size, len(gotOpen), len(wantOpen), gotOpen, wantOpen)
				}
				// Currencies come in the order the store reads them:
				// compare by (start, currency).
				for _, w := range wantOpen {
					found := false
					for _, g := range gotOpen {
						if g.Window == w.Window && g.Metrics.Currency == w.Metrics.Currency {
							found = true
							if g.Metrics != w.Metrics || g.Revision != 0 || g.Reason != windows.ReasonOpen {
								t.Fatalf("step %d %s %s %s %s: redis %+v, memory %+v", i, tenant, size, w.Window.Start, w.Metrics.Currency, g, w)
							}
						}
					}
					if !found {
						t.Fatalf("step %d %s %s: memory's open window %s %s missing from redis", i, tenant, size, w.Window.Start, w.Metrics.Currency)
					}
				}
			}
		}
	})
	compare(t, want, got)
	if windowsSeen < 50 {
		t.Fatalf("only %d open windows in %d looks: the test compares too little", windowsSeen, looks)
	}
	t.Logf("%d looks, %d open windows compared", looks, windowsSeen)
}
