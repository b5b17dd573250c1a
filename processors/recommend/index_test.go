package recommend

import (
	"math/rand/v2"
	"testing"
)

// TestIndexAgainstMap churns the index like a full summary does and
// compares it with a Go map after every step; the table must not grow past
// tableSize.
func TestIndexAgainstMap(t *testing.T) {
	const capacity = 300
	r := rand.New(rand.NewPCG(5, 6))
	x := newIndex[uint64](func(k uint64) uint64 { return k % 97 }) // poor hash: long runs
	ref := map[uint64]int32{}
	var keys []uint64
	for step := range 100_000 {
		if len(keys) < capacity && r.IntN(3) > 0 || len(keys) == 0 {
			k := r.Uint64N(5000)
			if _, ok := ref[k]; ok {
				continue
			}
			x.set(k, int32(step))
			ref[k] = int32(step)
			keys = append(keys, k)
		} else {
			i := r.IntN(len(keys))
			x.delete(keys[i])
			delete(ref, keys[i])
			keys[i] = keys[len(keys)-1]
			keys = keys[:len(keys)-1]
		}
		if step%997 == 0 {
			for k := range uint64(5000) {
				v, ok := x.get(k)
				w, wok := ref[k]
				if ok != wok || v != w {
					t.Fatalf("step %d key %d: index %d %v, map %d %v", step, k, v, ok, w, wok)
				}
			}
		}
	}
	if x.n != len(ref) || len(x.slots) > tableSize(capacity) {
		t.Errorf("n %d want %d; %d slots, limit %d", x.n, len(ref), len(x.slots), tableSize(capacity))
	}
}
