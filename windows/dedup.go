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
// hours without a sweep. A key costs 8 to 16 bytes (keySet).
type idSet struct {
	max     int // hard cap on remembered keys
	n       int
	buckets []idHour   // sorted by hour
	last    int        // index of the last bucket used
	free    [][]uint64 // cleared slot arrays for reuse
	forced  int64      // buckets dropped early because of max
}

type idHour struct {
	hour int64
	keys keySet
}

func newIDSet(max int) idSet { return idSet{max: max} }

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
			var slots []uint64
			if n := len(s.free); n > 0 {
				slots, s.free = s.free[n-1], s.free[:n-1]
			}
			s.buckets = slices.Insert(s.buckets, i, idHour{hour: h, keys: keySet{slots: slots}})
		}
		s.last = i
		b = &s.buckets[i]
	}
	if b.keys.add(k) {
		return true
	}
	s.n++
	if s.n > s.max {
		// Bounded memory wins over a longer memory.
		s.forced++
		if len(s.buckets) > 1 && s.buckets[0].hour != h {
			s.release(0) // forget the oldest hour
		} else {
			s.n -= b.keys.len() - 1 // one hour over the cap: start it again
			b.keys.clear()
			b.keys.add(k)
		}
	}
	return false
}

func (s *idSet) dropOldest() {
	s.forced++
	s.release(0)
}

func (s *idSet) release(i int) {
	m := &s.buckets[i].keys
	s.n -= m.len()
	m.clear()
	if len(s.free) < 2 && len(m.slots) <= 1<<16 {
		s.free = append(s.free, m.slots)
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
