package detect

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

func seedWindow(start time.Time, orders int64) (events.Window, events.WindowMetrics) {
	return events.Window{Start: start, End: start.Add(time.Hour), Size: "1h"},
		events.WindowMetrics{Currency: "USD", Orders: orders, CompletedOrders: orders, CompletedRevenue: orders * 3000,
			Revenue: orders * 3000, UniqueCustomers: orders, UniqueCustomersExact: true}
}

func TestSeedPrimesWithoutAlerting(t *testing.T) {
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(3, 4))
	seeded, _ := NewMonitor(MonitorConfig{})
	fresh, _ := NewMonitor(MonitorConfig{})
	at := start
	for i := range 14 * 24 {
		n := int64(40 + rng.IntN(9) - 4)
		if i == 100 {
			n = 400 // an old spike: seeding must not open (or leave open) an incident
		}
		w, m := seedWindow(at, n)
		if !seeded.Seed("t", w, m) {
			t.Fatalf("window %d refused", i)
		}
		at = at.Add(time.Hour)
	}
	g := seeded.groups[groupKey{"t", "1h", "USD"}].Value.(*group)
	for i, l := range g.life {
		if _, open := l.Open(); open {
			t.Fatalf("seeding left a %s incident open", metricOrder[i])
		}
	}
	// Out of order: refused, state untouched.
	if w, m := seedWindow(start, 40); seeded.Seed("t", w, m) {
		t.Error("a window older than the series' last point was seeded")
	}
	w, m := seedWindow(at, 40)
	if ins := seeded.Observe("t", w, m, w.End); len(ins) != 0 {
		t.Fatalf("an ordinary first live window alerted after seeding: %+v", ins)
	}
	at = at.Add(time.Hour)
	w, m = seedWindow(at, 5) // orders collapse
	ins := seeded.Observe("t", w, m, w.End)
	opened := false
	for _, in := range ins {
		opened = opened || (in.Kind == events.KindAnomalyOpened && in.Metric == MetricOrders)
	}
	if !opened {
		t.Fatalf("the collapse on the second live window opened nothing: %+v", ins)
	}
	// Without seeding, the same live windows are warm-up.
	w, m = seedWindow(at.Add(-time.Hour), 40)
	fresh.Observe("t", w, m, w.End)
	w, m = seedWindow(at, 5)
	if ins := fresh.Observe("t", w, m, w.End); len(ins) != 0 {
		t.Fatalf("an unseeded series alerted in warm-up: %+v", ins)
	}
}
