package eventgen

import (
	"math"
	"time"
)

// Pacer says how long to wait before publishing each message so that
// simulated time runs at Speed, publishing stays under Rate, and, with Live,
// no message is published before its PublishAt by the real clock. The zero
// value never waits. Call Delay once per message, in order.
type Pacer struct {
	// Speed is simulated seconds per real second; 0 is as fast as possible.
	Speed float64
	// Rate caps messages per real second; 0 is no cap.
	Rate float64
	// Live holds each message until the real clock reaches its PublishAt,
	// so a generator that started in the past backfills and then runs live,
	// and no event is ever ahead of the real clock.
	Live bool

	started    bool
	real0, sim time.Time
	n          int64
}

// Delay is how long to wait, at real time now, before publishing the next
// message, simulated to be published at publishAt. Zero means now.
func (p *Pacer) Delay(publishAt, now time.Time) time.Duration {
	if !p.started {
		p.started, p.real0, p.sim = true, now, publishAt
	}
	due := p.real0
	if p.Speed > 0 {
		sim := float64(publishAt.Sub(p.sim)) / p.Speed
		due = due.Add(time.Duration(math.Min(sim, math.MaxInt64)))
	}
	if p.Rate > 0 {
		if t := p.real0.Add(time.Duration(float64(p.n) / p.Rate * float64(time.Second))); t.After(due) {
			due = t
		}
	}
	if p.Live && publishAt.After(due) {
		due = publishAt
	}
	p.n++
	if d := due.Sub(now); d > 0 {
		return d
	}
	return 0
}
