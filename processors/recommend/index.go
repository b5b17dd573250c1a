package recommend

import "math/bits"

// index maps a hashed key to an entry number. It is an open-addressing
// table with linear probing and backward-shift deletion: no tombstones, so
// a summary that evicts and inserts forever keeps a fixed table, unlike a
// Go map, whose tables grow under that churn. The table doubles up to the
// power of two that keeps the load at most 3/4 at the owner's capacity, and
// never beyond.
type index[K comparable] struct {
	slots []slot[K]
	n     int
	shift uint // 64 - log2(len(slots))
	hash  func(K) uint64
}

type slot[K comparable] struct {
	key K
	ref int32 // entry number + 1; 0 is empty
}

func newIndex[K comparable](hash func(K) uint64) index[K] {
	return index[K]{hash: hash}
}

// tableSize is the slot count the index reaches at capacity entries.
func tableSize(capacity int) int {
	return 1 << bits.Len(uint(capacity*4/3))
}

func (x *index[K]) home(k K) int {
	return int((x.hash(k) * 0x9e3779b97f4a7c15) >> x.shift)
}

func (x *index[K]) get(k K) (int32, bool) {
	if x.n == 0 {
		return 0, false
	}
	mask := len(x.slots) - 1
	for i := x.home(k); ; i = (i + 1) & mask {
		s := &x.slots[i]
		if s.ref == 0 {
			return 0, false
		}
		if s.key == k {
			return s.ref - 1, true
		}
	}
}

// set maps k, which must not be present, to v.
func (x *index[K]) set(k K, v int32) {
	if (x.n+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	mask := len(x.slots) - 1
	i := x.home(k)
	for x.slots[i].ref != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = slot[K]{key: k, ref: v + 1}
	x.n++
}

func (x *index[K]) delete(k K) {
	if x.n == 0 {
		return
	}
	mask := len(x.slots) - 1
	i := x.home(k)
	for {
		if x.slots[i].ref == 0 {
			return
		}
		if x.slots[i].key == k {
			break
		}
		i = (i + 1) & mask
	}
	// Shift back every following entry of the run that may live at i.
	for j := (i + 1) & mask; x.slots[j].ref != 0; j = (j + 1) & mask {
		h := x.home(x.slots[j].key)
		// The entry at j stays if its home is cyclically in (i, j].
		if i <= j && i < h && h <= j || i > j && (i < h || h <= j) {
			continue
		}
		x.slots[i] = x.slots[j]
		i = j
	}
	x.slots[i] = slot[K]{}
	x.n--
}

func (x *index[K]) grow() {
	size := max(2*len(x.slots), 16)
	old := x.slots
	x.slots = make([]slot[K], size)
	x.shift = uint(64 - bits.TrailingZeros(uint(size)))
	x.n = 0
	for _, s := range old {
		if s.ref != 0 {
			x.set(s.key, s.ref-1)
		}
	}
}

func hashU64(k uint64) uint64     { return k }
func hashPair(k [2]uint64) uint64 { return k[0] ^ bits.RotateLeft64(k[1], 31) }

// growTo appends room for one more element to s, doubling its capacity but
// never past limit, so a full structure holds exactly limit elements.
func growTo[T any](s []T, limit int) []T {
	if len(s) < cap(s) {
		return s
	}
	c := min(max(2*cap(s), 8), limit)
	n := make([]T, len(s), c)
	copy(n, s)
	return n
}
