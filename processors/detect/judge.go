package detect

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// baseline is what a point is judged against: a centre and a spread in the
// units of seas (the data's units when seas is nil, the plain level).
type baseline struct {
	seas           *seasonal
	centre, spread float64
	method         Method
}

// verdict is a point judged against a baseline.
type verdict struct {
	z        float64 // count-aware score
	zEmp     float64 // the empirical score alone (before any count bound)
	expected float64 // data units
	spread   float64 // data units
	lo, hi   float64
	method   Method
}

// judge scores value v (a rate of trials when trials > 0) against b.
func (d *Detector) judge(v, trials float64, b baseline) verdict {
	cfg := &d.cfg
	b.spread *= d.tailFactor()
	vd := verdict{method: b.method, expected: b.centre, spread: b.spread}
	if m := b.seas; m != nil {
		vd.expected = m.inv(b.centre)
		vd.spread = (m.inv(b.centre+b.spread) - m.inv(b.centre-b.spread)) / 2
		vd.z = (m.fwd(v) - b.centre) / b.spread
		vd.lo, vd.hi = m.inv(b.centre-cfg.Threshold*b.spread), m.inv(b.centre+cfg.Threshold*b.spread)
	} else {
		vd.z = (v - b.centre) / b.spread
		vd.lo, vd.hi = b.centre-cfg.Threshold*b.spread, b.centre+cfg.Threshold*b.spread
	}
	vd.zEmp = vd.z
	switch {
	case trials > 0:
		cz := binomialZ(math.Round(v*trials), trials, vd.expected)
		if cfg.Method != MethodZScore {
			vd.z = boundZ(vd.z, cz)
			if vd.z == cz && vd.z != 0 {
				vd.method = methodBinom
			}
		}
	case d.countMode():
		lambda := math.Max(vd.expected, 0)
		cz := poissonZ(v, lambda)
		if cfg.Method == MethodPoisson {
			vd.z, vd.method = cz, MethodPoisson
		} else {
			vd.z = boundZ(vd.z, cz)
			if vd.z == cz && vd.z != 0 {
				vd.method = MethodPoisson
			}
		}
		// The band is never narrower than the Poisson test allows.
		ps := math.Sqrt(math.Max(lambda, minLambda))
		vd.lo, vd.hi = math.Min(vd.lo, lambda-cfg.Threshold*ps), math.Max(vd.hi, lambda+cfg.Threshold*ps)
		vd.spread = math.Max(vd.spread, ps)
	}
	return vd
}

// Heavy tails. Real metrics (ad clicks, latencies) have more extreme points
// than a normal with the same robust spread: with Student-t noise of 3
// degrees of freedom one point in 15 is beyond 2.5 robust standard
// deviations, not one in 80. The detector keeps the long-run rate r at
// which isolated points (not in an alerting run) exceed Threshold and, when
// r is above the normal rate, widens every spread by T/z(r), z(r) being
// the normal quantile with that exceedance: the tail is treated as a wider
// normal one, so the false-alert rate returns near its nominal level.
const (
	tailMemory = 1000 // points
	maxTail    = 3
)

// tailFactor is the spread multiplier for heavy tails (1 on normal data).
func (d *Detector) tailFactor() float64 {
	return d.tail
}

// learnTail folds the point's uncorrected empirical score into the
// exceedance rate and updates the factor.
func (d *Detector) learnTail(s *Score, zEmp float64) {
	cfg := &d.cfg
	if !s.Warm || math.Abs(s.Sustained) >= d.runBar() {
		return
	}
	raw := math.Abs(zEmp) * d.tail
	hit := 0.0
	if raw >= cfg.Threshold {
		hit = 1
	}
	d.tailN++
	d.tailRate += (hit - d.tailRate) / float64(min(d.tailN, tailMemory))
	p0 := math.Erfc(cfg.Threshold / math.Sqrt2)
	if d.tailN < fitMemory || d.tailRate <= p0 {
		d.tail = 1
		return
	}
	zr := -mathext.NormalQuantile(d.tailRate / 2)
	d.tail = math.Max(1, math.Min(maxTail, cfg.Threshold/zr))
}
