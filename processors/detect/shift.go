package detect

import (
	"math"
	"time"
)

// Level shifts. A shift the detector has been alerting on for AdaptAfter
// points is accepted as the new normal: every baseline is re-centred on the
// run's raw values, keeping spread and seasonal shape, so the incident
// resolves instead of firing for weeks. A point supports the run when it is
// anomalous alone or the accumulated evidence (Score.Sustained) alerts, so
// a shift whose single points straddle the threshold still adapts.
//
// The detector then remembers how far each baseline moved. For a while
// (backHorizon) a point beyond the band in the opposite direction that is
// usual for the old level is judged against the old level instead: the end
// of a temporary shift is a return, not a fresh incident, and Confirm such
// points in a row move every baseline back (Score.Returned).

// backRef is the last accepted level shift.
type backRef struct {
	active  bool
	sign    float64 // direction of the accepted shift
	plain   float64 // how far the plain level moved
	model   [5]float64
	nModels int
	left    int // points the reference is kept for
	streak  int // consecutive return points
}

// backHorizon is how long, in points, a shift is remembered: two days of
// data, at least History points.
func (d *Detector) backHorizon() int {
	return max(d.cfg.History, int(48*d.samplesPerHour()))
}

// before returns baseline b as it was before the remembered shift.
func (r *backRef) before(d *Detector, chosen int, b baseline) (baseline, bool) {
	if !r.active || r.nModels != len(d.models) {
		return b, false
	}
	if chosen >= 0 {
		b.centre -= r.model[chosen]
	} else {
		b.centre -= r.plain
	}
	return b, true
}

// step ages the reference and counts return points; after Confirm of them
// it restores the old level and reports true.
func (r *backRef) step(d *Detector, returning bool) bool {
	if !r.active {
		return false
	}
	r.left--
	if !returning {
		r.streak = 0
		r.active = r.left > 0
		return false
	}
	r.streak++
	if r.streak < d.cfg.Confirm {
		return false
	}
	d.vals.shift(-r.plain)
	for i, m := range d.models {
		m.level -= r.model[i]
	}
	r.active = false
	d.restart()
	return true
}

// restart clears the per-run state after the baseline moved.
func (d *Detector) restart() {
	d.run, d.pend = 0, d.pend[:0]
	d.recentZ = d.recentZ[:0]
	d.scan.reset()
	d.scan.broken()
}

// adapt counts consecutive points supporting a shift in one direction;
// after AdaptAfter of them it accepts the shift.
func (d *Detector) adapt(s *Score, raw float64, at time.Time) bool {
	cfg := &d.cfg
	if cfg.AdaptAfter < 0 {
		return false
	}
	var sign float64
	switch {
	case s.Anomalous:
		sign = math.Copysign(1, s.Z)
	case s.Warm && math.Abs(s.Sustained) >= d.runBar():
		sign = math.Copysign(1, s.Sustained)
	}
	if sign == 0 || (d.run > 0 && sign != d.runSign) {
		d.run, d.pend = 0, d.pend[:0]
		if sign == 0 {
			return false
		}
	}
	d.run++
	d.runSign = sign
	d.pend = append(d.pend, pending{raw, at})
	if d.run < cfg.AdaptAfter {
		return false
	}
	k := len(d.pend)
	buf := d.scratch[:k]
	for i, p := range d.pend {
		buf[i] = p.x
	}
	newLevel := median(buf)
	// Plain level: the run's clipped entries are the newest k of the ring;
	// replace them with the raw values and move the rest by the shift.
	delta := newLevel - plainCentre(d)
	d.vals.shift(delta)
	size := len(d.vals.buf)
	for i := max(0, k-d.vals.len()); i < k; i++ {
		d.vals.buf[((d.vals.next-k+i)%size+size)%size] = d.pend[i].x
	}
	r := backRef{active: true, sign: sign, plain: delta, nModels: len(d.models), left: d.backHorizon()}
	for j, m := range d.models {
		for i, p := range d.pend {
			lt := p.t.In(cfg.Location)
			buf[i] = m.fwd(p.x) - m.predictAt(m.spot(lt, int(lt.Weekday()), d.samplesPerHour(), d.step))
		}
		r.model[j] = median(buf[:k])
		m.level += r.model[j]
		// Replay the run against the re-centred model: a shift that is
		// additive fits the identity models, a proportional one the log
		// models, and the model choice should learn which at once.
		if m.res.len() >= 8 {
			sigma := m.scale(d.scratch[k:k+m.res.len()], d.truncFactor)
			if sigma > 0 {
				for _, p := range d.pend {
					lt := p.t.In(cfg.Location)
					z := (m.fwd(p.x) - m.predictAt(m.spot(lt, int(lt.Weekday()), d.samplesPerHour(), d.step))) / sigma
					m.fit.add(z, math.Log(sigma)-m.jacobian(p.x))
				}
			}
		}
	}
	d.back = r
	d.restart()
	return true
}

// plainCentre is the current plain level (median, or mean for MethodZScore).
func plainCentre(d *Detector) float64 {
	if d.cfg.Method == MethodZScore {
		c, _ := meanStd(d.vals.values())
		return c
	}
	c, _ := robustCentreSpread(d.vals.values(), d.scratch)
	return c
}
