package windows

// keySet is an open-addressing set of uint64 keys (linear probing, load at
// most 3/4): a few probes in one or two cache lines per lookup, 10.7 to 21
// bytes per key, and clear keeps the slots for reuse.
type keySet struct {
	slots []uint64 // 0 = empty; key 0 is stored as zeroKey
	n     int
}

const zeroKey = 0x9E3779B97F4A7C15

// add inserts k and reports whether it was already present.
func (s *keySet) add(k uint64) (present bool) {
	if k == 0 {
		k = zeroKey
	}
	if 4*(s.n+1) > 3*len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	// Keys are xxhash values: the low bits are already uniform.
	for i := k & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case k:
			return true
		case 0:
			s.slots[i] = k
			s.n++
			return false
		}
	}
}

func (s *keySet) grow() {
	old := s.slots
	size := 2 * len(old)
	if size < 16 {
		size = 16
	}
	s.slots = make([]uint64, size)
	s.n = 0
	for _, k := range old {
		if k != 0 {
			s.add(k)
		}
	}
}

func (s *keySet) clear() {
	clear(s.slots)
	s.n = 0
}

func (s *keySet) len() int { return s.n }
