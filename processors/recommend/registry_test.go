package recommend

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

func TestTakeChanged(t *testing.T) {
	m := newModel(t, exactConfig())
	if got := m.TakeChanged(); len(got) != 0 {
		t.Fatalf("fresh model changed %v", got)
	}
	m.Observe(order("b", "o1", events.OrderCompleted, t0, "A", "B"))
	m.Observe(order("a", "o1", events.OrderCompleted, t0, "A", "B"))
	m.Observe(order("c", "o1", events.OrderCreated, t0, "A", "B")) // not a purchase
	m.Observe(order("d", "o1", events.OrderCompleted, t0))         // no items
	if got := m.TakeChanged(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("changed %v, want [a b]", got)
	}
	if got := m.TakeChanged(); len(got) != 0 {
		t.Fatalf("second call %v, want none: the first forgets", got)
	}
	m.Observe(order("a", "o1", events.OrderCompleted, t0, "A", "B")) // redelivery: not counted
	m.Observe(order("z", "o9", events.OrderRefunded, t0, "A"))       // unknown tenant
	if got := m.TakeChanged(); len(got) != 0 {
		t.Fatalf("after a redelivery and a stray refund: %v, want none", got)
	}
	m.Observe(order("b", "o1", events.OrderRefunded, t0.Add(time.Minute), "B"))
	if got := m.TakeChanged(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("after a refund: %v, want [b]", got)
	}
	m.Observe(order("b", "o1", events.OrderRefunded, t0.Add(time.Minute), "B")) // already refunded
	if got := m.TakeChanged(); len(got) != 0 {
		t.Fatalf("after a no-op refund: %v, want none", got)
	}
}

// TestSnapshotRecommendAt checks that a snapshot decayed on to a later
// instant answers exactly what the model answers then, cold starts
// included, and that an earlier instant reads as the snapshot's own.
func TestSnapshotRecommendAt(t *testing.T) {
	cfg := Config{HalfLife: time.Hour, MinBaskets: 4, MinItemCount: 2, MinPairCount: 1.5}
	m := newModel(t, cfg)
	at := t0
	for i, b := range [][]string{{"A", "B"}, {"A", "B"}, {"A", "C"}, {"B", "D"}, {"C", "D"}, {"A", "B", "C"}} {
		m.Observe(order("t1", "o"+string(rune('a'+i)), events.OrderCompleted, at, b...))
	}
	snap := m.Snapshot("t1", at)
	for _, d := range []time.Duration{0, 10 * time.Minute, 30 * time.Minute, time.Hour, 3 * time.Hour} {
		for _, sku := range []string{"A", "B", "C", "D", "nope"} {
			want, err := m.Recommend("t1", sku, 5, at.Add(d))
			if err != nil {
				t.Fatal(err)
			}
			got, err := snap.RecommendAt(sku, 5, at.Add(d))
			if err != nil {
				t.Fatal(err)
			}
			if !got.At.Equal(want.At) || got.ColdStart != want.ColdStart || !near(got.Baskets, want.Baskets) ||
				!near(got.SKUCount, want.SKUCount) || len(got.Items) != len(want.Items) {
				t.Fatalf("+%s %s: snapshot %+v, model %+v", d, sku, got, want)
			}
			for i := range got.Items {
				g, w := got.Items[i], want.Items[i]
				if g.SKU != w.SKU || !near(g.Lift, w.Lift) || !near(g.Confidence, w.Confidence) || !near(g.Support, w.Support) || !near(g.Count, w.Count) {
					t.Errorf("+%s %s item %d: snapshot %+v, model %+v", d, sku, i, g, w)
				}
			}
		}
	}
	// The decay is visible: A→B (count 3, lift 6·3/(4·4)) at first, cold
	// once N=6 has halved below MinBaskets=4.
	r, _ := snap.RecommendAt("A", 5, at)
	if r.ColdStart != "" || len(r.Items) != 1 || r.Items[0].SKU != "B" || !near(r.Items[0].Lift, 18.0/16) || !near(r.Items[0].Count, 3) {
		t.Errorf("A at the snapshot: %+v", r)
	}
	if r, _ = snap.RecommendAt("A", 5, at.Add(time.Hour)); r.ColdStart != ColdTenant || !near(r.Baskets, 3) {
		t.Errorf("A an hour on: %+v, want cold tenant with 3 baskets", r)
	}
	if r, _ = snap.RecommendAt("A", 5, at.Add(-time.Hour)); !r.At.Equal(at) || !near(r.Baskets, 6) {
		t.Errorf("before the snapshot: %+v, want the snapshot's own figures", r)
	}
}

func TestRegistryKeepsLatest(t *testing.T) {
	m := newModel(t, exactConfig())
	handBaskets(m)
	var r Registry
	if r.Snapshot("t1") != nil || r.Len() != 0 {
		t.Fatal("empty registry answers")
	}
	newer := m.Snapshot("t1", t0.Add(2*time.Hour))
	r.Publish(newer)
	r.Publish(m.Snapshot("t1", t0.Add(time.Hour))) // late publisher
	if got := r.Snapshot("t1"); got != newer {
		t.Fatalf("registry rolled back to %s, want %s", got.At(), newer.At())
	}
	// Readers and a publisher at once (run with -race).
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 200 {
				if i == 0 {
					r.Publish(m.Snapshot("t1", t0.Add(time.Duration(3+j)*time.Hour)))
					continue
				}
				res, err := r.Snapshot("t1").Recommend("A", 3)
				if err != nil || len(res.Items) != 1 || res.Items[0].SKU != "C" {
					t.Errorf("concurrent read: %+v %v", res, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
