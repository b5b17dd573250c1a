package recommend

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// TestAgainstBruteForce runs a random stream (out-of-order times across many
// half-lives, so the counts are renormalised several times; duplicates;
// full and partial refunds) through a model large enough to be exact and
// compares every count with a recomputation from the surviving baskets.
func TestAgainstBruteForce(t *testing.T) {
	const halfLife = time.Hour
	cfg := Config{HalfLife: halfLife, MinBaskets: 1e-300, MinItemCount: 1e-300, MinPairCount: 1e-300}
	m := newModel(t, cfg)
	r := rand.New(rand.NewPCG(3, 4))
	type basket struct {
		at    time.Time
		items []string
	}
	live := map[string]*basket{}
	var ids []string
	at := t0
	for i := range 4000 {
		at = at.Add(time.Duration(r.Int64N(int64(3 * time.Minute)))) // ~100 half-lives in all
		switch u := r.Float64(); {
		case u < 0.8 || len(ids) == 0:
			id := "o" + strconv.Itoa(i)
			when := at.Add(-time.Duration(r.Int64N(int64(30 * time.Minute)))) // out of order
			var skus []string
			for range 1 + r.IntN(5) {
				skus = append(skus, "S"+strconv.Itoa(r.IntN(12)))
			}
			m.Observe(order("t1", id, events.OrderCompleted, when, skus...))
			slices.Sort(skus)
			live[id] = &basket{at: when, items: slices.Compact(skus)}
			ids = append(ids, id)
		case u < 0.85:
			id := ids[r.IntN(len(ids))]
			m.Observe(order("t1", id, events.OrderCompleted, live[id].at, live[id].items...)) // redelivery
		case u < 0.93:
			id := ids[r.IntN(len(ids))]
			m.Observe(order("t1", id, events.OrderRefunded, at))
			live[id].items = nil
		default:
			id := ids[r.IntN(len(ids))]
			b := live[id]
			if len(b.items) == 0 {
				continue
			}
			line := b.items[r.IntN(len(b.items))]
			m.Observe(order("t1", id, events.OrderRefunded, at, line))
			b.items = slices.DeleteFunc(b.items, func(s string) bool { return s == line })
		}
	}
	now := at
	var n float64
	item := map[string]float64{}
	pair := map[[2]string]float64{}
	for _, b := range live {
		if len(b.items) == 0 {
			continue
		}
		w := math.Exp2(-float64(now.Sub(b.at)) / float64(halfLife))
		n += w
		for i, x := range b.items {
			item[x] += w
			for _, y := range b.items[i+1:] {
				pair[[2]string{x, y}] += w
			}
		}
	}
	tol := 1e-9 * n
	rows := m.Pairs("t1", now)
	seen := map[[2]string]bool{}
	for _, row := range rows {
		k := [2]string{row.SKUA, row.SKUB}
		seen[k] = true
		if math.Abs(row.Baskets-n) > tol || math.Abs(row.PairCount-pair[k]) > tol ||
			math.Abs(row.CountA-item[k[0]]) > tol || math.Abs(row.CountB-item[k[1]]) > tol {
			t.Errorf("pair %v: N %g n(a) %g n(b) %g n(a,b) %g; brute force %g %g %g %g",
				k, row.Baskets, row.CountA, row.CountB, row.PairCount, n, item[k[0]], item[k[1]], pair[k])
		}
	}
	for k, v := range pair {
		if !seen[k] && v > tol {
			t.Errorf("pair %v with count %g missing", k, v)
		}
	}
	if len(pair) < 30 {
		t.Fatalf("only %d pairs: the stream is too thin to test anything", len(pair))
	}
}
