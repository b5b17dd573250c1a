package recommend

import (
	"math"
	"time"
)

// renormAfter is how many half-lives of drift from the reference epoch a
// tenant tolerates before rescaling its counts: weights stay within 2^±32,
// far from float64 overflow, and rescaling is O(capacity) once in 32
// half-lives.
const renormAfter = 32

// clock turns event times into weights. A basket completed at t weighs
// 2^((t-ref)/halfLife) in the stored counts; the count "as of" now is the
// stored one times 2^(-(now-ref)/halfLife). Storing counts scaled to ref
// makes decay lazy: an update costs nothing extra, and ratios (confidence,
// lift, support) do not depend on now at all.
type clock struct {
	halfLife float64 // ns; 0 disables decay
	ref      int64   // unix ns; set by the first event
	started  bool
}

func newClock(halfLife time.Duration) clock {
	if halfLife < 0 {
		return clock{}
	}
	return clock{halfLife: float64(halfLife)}
}

// weight is the stored weight of a basket at t.
func (c *clock) weight(t time.Time) float64 {
	if c.halfLife == 0 {
		return 1
	}
	return math.Exp2(float64(t.UnixNano()-c.ref) / c.halfLife)
}

// factor converts stored counts to counts as of now.
func (c *clock) factor(now time.Time) float64 {
	if c.halfLife == 0 || !c.started {
		return 1
	}
	return math.Exp2(-float64(now.UnixNano()-c.ref) / c.halfLife)
}

// advance prepares the clock for an event at t and returns the factor all
// stored counts must be multiplied by (1: nothing to do).
func (c *clock) advance(t time.Time) float64 {
	if !c.started {
		c.started = true
		c.ref = t.UnixNano()
		return 1
	}
	if c.halfLife == 0 {
		return 1
	}
	if d := float64(t.UnixNano() - c.ref); d > renormAfter*c.halfLife {
		f := math.Exp2(-d / c.halfLife)
		c.ref = t.UnixNano()
		return f
	}
	return 1
}
