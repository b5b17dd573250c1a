package recommend

// sketch is a weighted SpaceSaving heavy-hitter summary (Metwally et al.)
// with at most capacity keys. It keeps an estimate and an error per key:
//
//	count-err <= true <= count  for a tracked key,
//	true <= inserted/capacity   for an untracked key, and err <= inserted/capacity,
//
// where inserted is the total weight ever added (subtractions do not lower
// it). Subtracting weight that was really added to a tracked key keeps both
// bounds; see doc.go for the proof sketch and the caveat on approximate
// refunds.
//
// Entries live in one slice; the heap orders their indices by count, so a
// heap swap never touches the map. At capacity, a new key takes over the
// minimum entry: no allocation in the steady state.
type sketch[K comparable, V any] struct {
	capacity int
	index    index[K]
	entries  []entry[K, V]
	heap     []int32 // entry indices, min-heap by count
	inserted float64 // total weight added, the W of the error bound
}

type entry[K comparable, V any] struct {
	key   K
	val   V
	count float64
	err   float64
	pos   int32 // position in heap
}

func newSketch[K comparable, V any](capacity int, hash func(K) uint64) *sketch[K, V] {
	return &sketch[K, V]{capacity: capacity, index: newIndex(hash)}
}

// add adds w to key and returns its entry and whether the key was not
// tracked before (the caller then sets val).
func (s *sketch[K, V]) add(key K, w float64) (e *entry[K, V], fresh bool) {
	s.inserted += w
	if i, ok := s.index.get(key); ok {
		e = &s.entries[i]
		e.count += w
		s.down(int(e.pos))
		return e, false
	}
	if len(s.entries) < s.capacity {
		i := int32(len(s.entries))
		s.entries = append(growTo(s.entries, s.capacity), entry[K, V]{key: key, count: w, pos: int32(len(s.heap))})
		s.heap = append(growTo(s.heap, s.capacity), i)
		s.index.set(key, i)
		s.up(len(s.heap) - 1)
		return &s.entries[i], true
	}
	i := s.heap[0]
	e = &s.entries[i]
	s.index.delete(e.key)
	var zero V
	floor := e.count
	*e = entry[K, V]{key: key, val: zero, count: floor + w, err: floor, pos: 0}
	s.index.set(key, i)
	s.down(0)
	return e, true
}

// sub removes w from a tracked key, never below zero, and reports whether
// the key was tracked.
func (s *sketch[K, V]) sub(key K, w float64) bool {
	i, ok := s.index.get(key)
	if !ok {
		return false
	}
	e := &s.entries[i]
	e.count = max(e.count-w, 0)
	e.err = min(e.err, e.count)
	s.up(int(e.pos))
	return true
}

func (s *sketch[K, V]) get(key K) (*entry[K, V], bool) {
	i, ok := s.index.get(key)
	if !ok {
		return nil, false
	}
	return &s.entries[i], true
}

// scale multiplies every count by f (decay renormalisation). Order is kept,
// so the heap stays valid.
func (s *sketch[K, V]) scale(f float64) {
	for i := range s.entries {
		s.entries[i].count *= f
		s.entries[i].err *= f
	}
	s.inserted *= f
}

func (s *sketch[K, V]) len() int { return len(s.entries) }

func (s *sketch[K, V]) less(a, b int) bool {
	return s.entries[s.heap[a]].count < s.entries[s.heap[b]].count
}

func (s *sketch[K, V]) swap(a, b int) {
	s.heap[a], s.heap[b] = s.heap[b], s.heap[a]
	s.entries[s.heap[a]].pos = int32(a)
	s.entries[s.heap[b]].pos = int32(b)
}

func (s *sketch[K, V]) up(j int) {
	for j > 0 {
		p := (j - 1) / 2
		if !s.less(j, p) {
			return
		}
		s.swap(j, p)
		j = p
	}
}

func (s *sketch[K, V]) down(j int) {
	n := len(s.heap)
	for {
		l := 2*j + 1
		if l >= n {
			return
		}
		c := l
		if r := l + 1; r < n && s.less(r, l) {
			c = r
		}
		if !s.less(c, j) {
			return
		}
		s.swap(j, c)
		j = c
	}
}
