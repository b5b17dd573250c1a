package windows

import "math"

// idSet remembers event keys for at least one horizon of event time and at
// most two: keys go into the generation covering their event time, and a
// generation is dropped whole once the eviction clock passes its end. Two
// generations mean two map lookups per event and no per-key timestamps
// (about 10-20 bytes per remembered key in a Go map).
type idSet struct {
	horizon int64 // length of a generation, ns
	max     int   // hard cap on remembered keys
	cur     map[uint64]struct{}
	prev    map[uint64]struct{}
	curFrom int64 // cur holds keys with At >= curFrom; prev the older ones
	started bool
	forced  int64 // generations dropped early because of max
}

func newIDSet(horizon int64, max int) *idSet {
	return &idSet{horizon: horizon, max: max, cur: map[uint64]struct{}{}, prev: map[uint64]struct{}{}}
}

// seen reports whether k was added, and adds it if not.
func (s *idSet) seen(k uint64, at int64) bool {
	if _, ok := s.cur[k]; ok {
		return true
	}
	if _, ok := s.prev[k]; ok {
		return true
	}
	if !s.started {
		s.started, s.curFrom = true, at
	}
	if len(s.cur)+len(s.prev) >= s.max {
		// Bounded memory wins over a longer memory: forget the older half.
		s.forced++
		s.rotate(s.curFrom)
	}
	if at >= s.curFrom {
		s.cur[k] = struct{}{}
	} else {
		s.prev[k] = struct{}{}
	}
	return false
}

// evict drops the generations that end before `before`.
func (s *idSet) evict(before int64) {
	if !s.started || before == math.MinInt64 {
		return
	}
	if before >= s.curFrom && len(s.prev) > 0 {
		// prev holds only keys older than curFrom <= before.
		clear(s.prev)
	}
	if before-s.horizon >= s.curFrom {
		// cur is older than one horizon before the clock: start a new one.
		s.rotate(before)
	}
}

func (s *idSet) rotate(from int64) {
	s.prev, s.cur = s.cur, s.prev
	clear(s.cur)
	if from > s.curFrom {
		s.curFrom = from
	}
}

func (s *idSet) len() int { return len(s.cur) + len(s.prev) }
