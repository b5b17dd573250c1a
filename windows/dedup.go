package windows

import (
	"math"
	"slices"
)

// idBucket is the span of event time whose keys share one map.
const idBucket = int64(3600e9) // one hour

// idSet remembers the event keys of one tenant, grouped by the hour of
// their event time: a redelivery carries the same payload, hence the same
// occurred_at, so its key is looked up in one small map that the
// neighbouring events keep in cache, and eviction by event time drops whole
// hours without a sweep. A key costs about 10-20 bytes.
type idSet struct {
	max     int // hard cap on remembered keys
	n       int
	buckets []idHour // sorted by hour
	last    int      // index of the last bucket used
	free    []map[uint64]struct{}
	forced  int64 // buckets dropped early because of max
}

type idHour struct {
	hour int64
	keys map[uint64]struct{}
}

func newIDSet(max int) *idSet { return &idSet{max: max} }

// seen reports whether k (of an event at `at`) was added, and adds it if not.
func (s *idSet) seen(k uint64, at int64) bool {
	h := floorDiv(at, idBucket)
	var b *idHour
	if s.last < len(s.buckets) && s.buckets[s.last].hour == h {
		b = &s.buckets[s.last]
	} else {
		i, ok := slices.BinarySearchFunc(s.buckets, h, func(b idHour, h int64) int { return cmp64(b.hour, h) })
		if !ok {
			if s.n >= s.max && len(s.buckets) > 0 {
				s.dropOldest()
				return s.seen(k, at)
			}
			var m map[uint64]struct{}
			if n := len(s.free); n > 0 {
				m, s.free = s.free[n-1], s.free[:n-1]
			} else {
				m = map[uint64]struct{}{}
			}
			s.buckets = slices.Insert(s.buckets, i, idHour{hour: h, keys: m})
		}
		s.last = i
		b = &s.buckets[i]
	}
	// One hash probe: insert and see whether the map grew.
	n := len(b.keys)
	b.keys[k] = struct{}{}
	if len(b.keys) == n {
		return true
	}
	s.n++
	if s.n > s.max {
		// Bounded memory wins over a longer memory.
		s.forced++
		if len(s.buckets) > 1 && s.buckets[0].hour != h {
			s.release(0) // forget the oldest hour
		} else {
			s.n -= len(b.keys) - 1 // one hour over the cap: start it again
			clear(b.keys)
			b.keys[k] = struct{}{}
		}
	}
	return false
}

func (s *idSet) dropOldest() {
	s.forced++
	s.release(0)
}

func (s *idSet) release(i int) {
	m := s.buckets[i].keys
	s.n -= len(m)
	clear(m)
	if len(s.free) < 4 {
		s.free = append(s.free, m)
	}
	s.buckets = slices.Delete(s.buckets, i, i+1)
	s.last = 0
}

// evict forgets the keys of events before `before` (whole hours only, so a
// key may stay up to an hour longer). math.MaxInt64 forgets everything.
func (s *idSet) evict(before int64) {
	if before == math.MaxInt64 {
		for len(s.buckets) > 0 {
			s.release(0)
		}
		return
	}
	for len(s.buckets) > 0 && (s.buckets[0].hour+1)*idBucket <= before {
		s.release(0)
	}
}

func (s *idSet) len() int { return s.n }
