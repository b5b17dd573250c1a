package detect

import "math"

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
