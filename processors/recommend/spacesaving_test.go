package recommend

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSketchBounds checks the SpaceSaving guarantees against exact counts
// on a skewed weighted stream with legitimate subtractions (refunds of
// weight that was added):
//
//	tracked:   count-err <= true <= count, err <= W/k
//	untracked: true <= W/k
//
// where W is the total weight added and k the capacity.
func TestSketchBounds(t *testing.T) {
	for _, c := range []struct {
		name     string
		capacity int
		keys     uint64
		skew     float64
		undo     float64 // share of additions later subtracted
	}{
		{"zipf small", 50, 5_000, 1.1, 0},
		{"zipf with undo", 50, 5_000, 1.1, 0.1},
		{"flat keys", 100, 100_000, 1.01, 0.05},
		{"all fit", 1000, 500, 1.2, 0.2},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, uint64(c.capacity)))
			z := rand.NewZipf(r, c.skew, 1, c.keys-1)
			s := newSketch[uint64, struct{}](c.capacity, func(k uint64) uint64 { return k })
			exact := map[uint64]float64{}
			type add struct {
				key uint64
				w   float64
			}
			var added []add
			var total float64
			for range 50_000 {
				if c.undo > 0 && len(added) > 0 && r.Float64() < c.undo {
					i := r.IntN(len(added))
					a := added[i]
					added[i] = added[len(added)-1]
					added = added[:len(added)-1]
					s.sub(a.key, a.w)
					exact[a.key] -= a.w
					continue
				}
				k, w := z.Uint64(), 0.5+r.Float64()
				s.add(k, w)
				exact[k] += w
				total += w
				added = append(added, add{k, w})
			}
			bound := total / float64(c.capacity)
			const eps = 1e-9
			if !(math.Abs(s.inserted-total) <= eps*total) {
				t.Fatalf("inserted %g, want %g", s.inserted, total)
			}
			tracked := 0
			for k, v := range exact {
				e, ok := s.get(k)
				if !ok {
					if v > bound*(1+eps) {
						t.Errorf("untracked key %d has %g > W/k = %g", k, v, bound)
					}
					continue
				}
				tracked++
				if v > e.count+eps*total || v < e.count-e.err-eps*total {
					t.Errorf("key %d: true %g outside [%g, %g]", k, v, e.count-e.err, e.count)
				}
				if e.err > bound*(1+eps) {
					t.Errorf("key %d: error %g > W/k = %g", k, e.err, bound)
				}
			}
			if s.len() > c.capacity {
				t.Errorf("%d entries, capacity %d", s.len(), c.capacity)
			}
			t.Logf("capacity %d, %d distinct keys, W/k = %.1f, %d tracked", c.capacity, len(exact), bound, tracked)
		})
	}
}

func TestSketchHeap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	s := newSketch[int, struct{}](64, func(k int) uint64 { return uint64(k) })
	for range 10_000 {
		k := r.IntN(200)
		if r.IntN(4) == 0 {
			s.sub(k, r.Float64())
		} else {
			s.add(k, r.Float64())
		}
		if r.IntN(500) == 0 {
			s.scale(0.5)
		}
	}
	for j := 1; j < len(s.heap); j++ {
		if s.less(j, (j-1)/2) {
			t.Fatalf("heap order broken at %d", j)
		}
	}
	for i := range s.entries {
		e := &s.entries[i]
		if s.heap[e.pos] != int32(i) || func() bool { j, ok := s.index.get(e.key); return !ok || j != int32(i) }() {
			t.Fatalf("entry %d: pos/index out of sync", i)
		}
		if e.count < 0 || e.err < 0 || e.err > e.count+1e-12 {
			t.Fatalf("entry %d: count %g err %g", i, e.count, e.err)
		}
	}
}
