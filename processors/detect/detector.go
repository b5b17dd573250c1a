package detect

import (
	"math"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// Model choice penalties (nats per point, in the fitness log-likelihood): a
// seasonal model must fit clearly better than the plain level to be chosen,
// and weekly better than daily, so noise in the comparison does not make
// the method flap.
const (
	dailyPenalty  = 0.05
	weeklyPenalty = 0.1
)

// Score is the verdict on one observed point.
type Score struct {
	At       time.Time
	Value    float64
	Expected float64
	// Band is the range the detector considers usual: the expected value
	// ± Threshold standard deviations (in log units for multiplicative
	// models, so it may be asymmetric), never narrower than the exact count
	// test allows, clamped at 0 for non-negative data.
	Band events.Band
	// Spread is one standard deviation around Expected, in the data's units.
	Spread float64
	// Z is the signed score in standard deviations (count-aware on counts:
	// never more extreme than the exact Poisson or binomial tail allows).
	Z float64
	// Evidence is |Z| after the confirmation rule: at least Critical alone,
	// or Confirm consecutive points beyond Threshold in one direction.
	// Evidence ≥ Threshold means the detector alerts on this point.
	Evidence float64
	Method   Method
	// History is the number of past points the baseline drew on.
	History int
	// Warm is false during warm-up: no alert until Warmup points were seen.
	Warm bool
	// Anomalous: warm and |Z| ≥ Threshold. Alert: warm and Evidence ≥ Threshold.
	Anomalous bool
	Alert     bool
	// Sustained is the signed score of the strongest run of recent points
	// taken together (scan.go): it alerts at Critical, so a run of
	// moderately high or low points alerts within a few points even when no
	// single one is beyond Threshold.
	Sustained float64
	// Recent is the mean score of the last few points (each clipped): what
	// an open incident resolves on, so one quiet point inside a shift does
	// not end it.
	Recent float64
	// Adapted is set on the point that made the detector accept a level
	// shift and re-centre its baseline.
	Adapted bool
	// Returned is set on the point that made the detector recognise a
	// return to the level before the last accepted shift, and restore it.
	Returned bool
	// Valid is false when the point carried no information (NaN, ±Inf, a
	// rate with no trials); such points do not touch the state.
	Valid bool

	threshold float64
}

// AnomalyScore maps the point to [0, 1], monotone in Evidence:
// 1/(1+(Threshold/Evidence)^4), so Threshold maps to 0.5 and 0.5 or more
// means the detector alerts. During warm-up it stays below 0.5.
func (s Score) AnomalyScore() float64 {
	if !s.Valid || s.Evidence <= 0 || s.threshold <= 0 {
		return 0
	}
	r := s.threshold / s.Evidence
	v := 1 / (1 + r*r*r*r)
	if !s.Warm {
		v = math.Min(v, 0.49)
	}
	return v
}

// direction is the sign of what the point alerts on: its own score, or the
// run's when the run carries the evidence.
func (s Score) direction() float64 {
	if !s.Anomalous && s.Sustained != 0 {
		return math.Copysign(1, s.Sustained)
	}
	return math.Copysign(1, s.Z)
}

// Detector scores one series online: one (tenant, metric, window size,
// currency) key. It is not safe for concurrent use; one goroutine owns it.
// Memory is bounded by Config.History (see doc.go for the figure).
type Detector struct {
	cfg Config

	n    int  // valid points observed
	vals ring // cleaned values: plain level and spread
	// Means (ObserveMean): each value is the mean of w draws; weights
	// holds w per entry of vals, weight the current point's.
	means    bool
	weights  ring
	weight   float64
	scratch  []float64
	plainFit fitness
	// seasonal candidates: daily and weekly, in identity units and (for
	// non-negative data) log units. Created after the first points.
	models []*seasonal
	preds  []candidate // per-point scratch, one per model

	lastAt   time.Time
	step     float64 // smoothed seconds between points
	integers bool    // every value so far was a non-negative integer
	nonNeg   bool    // every value so far was non-negative

	recentZ []float64 // last Confirm-1 scores, newest last
	run     int       // consecutive anomalous points in one direction
	runSign float64
	pend    []pending // the current run (for adaptation)

	scan     scan    // accumulated evidence
	tail     float64 // heavy-tail spread factor (judge.go), 1 on normal data
	tailRate float64
	tailN    int
	// truncFactor is E|z|/E[|z| : |z| < Threshold] for a standard normal.
	truncFactor float64
	back        backRef // the last accepted shift
}

type candidate struct {
	at    spot
	ready bool
	pred  float64 // model units
	sigma float64 // model units
}

type pending struct {
	x float64
	t time.Time
}

// NewDetector validates cfg and returns a detector with empty history.
func NewDetector(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Detector{
		cfg:         cfg,
		vals:        newRing(cfg.History),
		scratch:     make([]float64, cfg.History+max(cfg.AdaptAfter, 0)),
		integers:    true,
		nonNeg:      true,
		recentZ:     make([]float64, 0, cfg.Confirm),
		scan:        newScan(cfg.Threshold),
		truncFactor: truncAbsFactor(cfg.Threshold),
		tail:        1,
		pend:        make([]pending, 0, max(cfg.AdaptAfter, 0)),
	}, nil
}

// Config returns the detector's configuration with defaults filled in.
func (d *Detector) Config() Config { return d.cfg }

// Observe scores value v of the window at time at against the history, then
// folds a cleaned copy of v into the history. The score of a point depends
// only on it and earlier points.
func (d *Detector) Observe(at time.Time, v float64) Score {
	return d.observe(at, v, -1)
}

// ObserveMean scores the mean of n draws (average order value over n
// completed orders). Its spread is a per-draw spread over √n: the per-draw
// spread is the robust spread of past residuals scaled by √n each, so an
// hour of 3 orders is judged by the noise 3 orders have and an hour of 300
// by theirs. A series observed this way has no seasonal models (a mean of
// draws has no daily cycle worth the noise) and no count test. n ≤ 0
// carries no information and leaves the state alone.
func (d *Detector) ObserveMean(at time.Time, mean float64, n int64) Score {
	if n <= 0 {
		return Score{At: at, Method: d.cfg.Method, threshold: d.cfg.Threshold}
	}
	if !d.means {
		d.means, d.weights = true, newRing(d.cfg.History)
	}
	d.weight = float64(n)
	return d.observe(at, mean, -1)
}

// ObserveRate scores a rate of k events out of n trials (cancelled out of
// completed+cancelled orders). Its score is bounded by an exact binomial
// test, so 1 cancellation of 2 orders does not page. n = 0 carries no
// information and leaves the state alone.
func (d *Detector) ObserveRate(at time.Time, k, n int64) Score {
	if n <= 0 {
		return Score{At: at, Method: d.cfg.Method, threshold: d.cfg.Threshold}
	}
	return d.observe(at, float64(k)/float64(n), float64(n))
}

func (d *Detector) seasonalAllowed() bool {
	if d.means {
		return false
	}
	switch d.cfg.Method {
	case MethodAuto, MethodSeasonal, MethodPoisson:
		return true
	}
	return false
}

func (d *Detector) observe(at time.Time, v, trials float64) (s Score) {
	cfg := &d.cfg
	s = Score{At: at, Value: v, Method: cfg.Method, threshold: cfg.Threshold}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return s
	}
	s.Valid = true
	if d.means {
		// Means of order values are right-skewed (one big basket in
		// three): they are judged in log units and reported in the data's.
		v = math.Log(math.Max(v, 1))
		defer d.meanUnits(&s)
	}
	d.trackStep(at)
	if trials < 0 && (d.means || !isCount(v)) {
		d.integers = false
	}
	if v < 0 && d.nonNeg {
		d.nonNeg = false
		d.dropLogModels()
	}
	if d.models == nil && d.vals.len() >= 8 && d.seasonalAllowed() {
		d.startModels()
	}
	lt := at.In(cfg.Location)
	wd := int(lt.Weekday())
	sph := d.samplesPerHour()

	// Every model predicts before it sees the point.
	var plainC, plainS float64
	if d.vals.len() > 0 {
		if cfg.Method == MethodZScore {
			plainC, plainS = meanStd(d.vals.values())
		} else {
			plainC, plainS = robustCentreSpread(d.vals.values(), d.scratch)
		}
		if d.means {
			plainS = math.Max(weightedSpread(d.vals.values(), d.weights.values(), plainC, d.scratch)/math.Sqrt(d.weight), d.cfg.MinRelSpread)
		}
		plainS *= math.Sqrt(1 + 1/float64(d.vals.len())) // prediction, not in-sample, spread
		plainS = d.floorSpread(plainS, plainC)
	}
	for i, m := range d.models {
		p := m.spot(lt, wd, sph, d.step)
		c := candidate{at: p, ready: m.ready(p.b, sph), pred: m.predictAt(p)}
		if c.ready && m.res.len() > 0 {
			c.sigma = m.scale(d.scratch, d.truncFactor) * math.Sqrt(1+1/float64(m.res.len()))
			if m.logT {
				c.sigma = math.Max(c.sigma, cfg.MinRelSpread)
			} else {
				c.sigma = d.floorSpread(c.sigma, c.pred)
			}
		}
		d.preds[i] = c
	}
	chosen := d.choose()

	method, hist := cfg.Method, d.vals.len()
	switch cfg.Method {
	case MethodAuto, MethodPoisson:
		method = MethodRobust
	}
	base := baseline{centre: plainC, spread: plainS, method: method}
	if chosen >= 0 {
		base = baseline{seas: d.models[chosen], centre: d.preds[chosen].pred, spread: d.preds[chosen].sigma, method: d.models[chosen].name}
		hist = d.n
	}

	var zEmp float64
	returning := false
	if hist > 0 {
		vd := d.judge(v, trials, base)
		// A point beyond the band, opposite to a level shift the detector
		// accepted recently, usual for the level before it and closer to
		// it than to the new one, is a return: it is judged against the old level, and Confirm of them
		// in a row restore that level (shift.go).
		if old, ok := d.back.before(d, chosen, base); ok && vd.z != 0 &&
			math.Copysign(1, vd.z) != d.back.sign && math.Abs(vd.z) >= cfg.Threshold {
			if ov := d.judge(v, trials, old); math.Abs(ov.z) < math.Min(cfg.Threshold, math.Abs(vd.z)) {
				vd, returning = ov, true
			}
		}
		zEmp = vd.zEmp
		s.Z = math.Max(-maxZ, math.Min(maxZ, vd.z))
		s.Expected, s.Spread, s.Method, s.History = vd.expected, vd.spread, vd.method, hist
		if trials > 0 || d.nonNeg {
			vd.lo = math.Max(vd.lo, 0)
		}
		s.Band = events.Band{Low: vd.lo, High: vd.hi}
	}
	s.Warm = d.n >= cfg.Warmup && hist > 0
	s.Evidence = d.evidence(s.Z, s.Warm)
	s.Anomalous = s.Warm && math.Abs(s.Z) >= cfg.Threshold
	d.accumulate(&s, zEmp, v, trials)
	d.learnTail(&s, zEmp)
	s.Alert = s.Warm && s.Evidence >= cfg.Threshold

	// Clean the point: anomalous points enter the history clipped to the
	// band edge, so they cannot drag the baseline or inflate the spread.
	xc := v
	if hist > 0 && d.n >= cfg.Warmup/2 {
		lim := cfg.Threshold * base.spread
		if m := base.seas; m != nil {
			xc = m.inv(base.centre + math.Max(-lim, math.Min(lim, m.fwd(v)-base.centre)))
		} else {
			xc = base.centre + math.Max(-lim, math.Min(lim, v-base.centre))
		}
	}
	if d.vals.len() > 0 {
		d.plainFit.add((xc-plainC)/plainS, math.Log(plainS))
	}
	d.vals.push(xc)
	if d.means {
		d.weights.push(d.weight)
	}
	// While a point is anomalous, or a run of points is, the seasonal
	// models hold still (they learn their own prediction): even clipped
	// values leak a shift into the level and profile within a day, so it
	// would never be accepted (adapted) cleanly and its end would look
	// like a fresh anomaly. The shift is taken in whole by adapt instead.
	hold := s.Anomalous || (s.Warm && math.Abs(s.Sustained) >= d.runBar())
	for i, m := range d.models {
		c := d.preds[i]
		yc := m.fwd(xc)
		record := c.ready
		if c.ready && c.sigma > 0 {
			z := (m.fwd(v) - c.pred) / c.sigma
			m.fit.add(z, math.Log(c.sigma)-m.jacobian(xc))
			record = math.Abs(z) < cfg.Threshold || m.res.len() < 8
		}
		if hold && m.levelN > 0 {
			yc, record = c.pred, false
		}
		m.update(c.at, yc, c.pred, record, sph)
	}
	d.n++

	s.Adapted = d.adapt(&s, v, at)
	if !s.Adapted {
		s.Returned = d.back.step(d, returning)
	}
	return s
}

// meanUnits turns a score of a mean, computed in log units, back into the
// data's units.
func (d *Detector) meanUnits(s *Score) {
	if s.History == 0 {
		return
	}
	c, sp := s.Expected, s.Spread
	s.Expected, s.Spread = math.Exp(c), (math.Exp(c+sp)-math.Exp(c-sp))/2
	s.Band = events.Band{Low: math.Exp(s.Band.Low), High: math.Exp(s.Band.High)}
}

// runBar is the |Sustained| at which a run alerts: RunCritical, by
// default halfway between Threshold and Critical.
func (d *Detector) runBar() float64 { return d.cfg.runBar() }

func (c Config) runBar() float64 {
	if c.RunCritical > 0 {
		return c.RunCritical
	}
	return (c.Threshold+c.Critical)/2 + 0.25
}

// truncAbsFactor is E|z| / E[|z| given |z| < t] for a standard normal z.
func truncAbsFactor(t float64) float64 {
	mass := math.Erf(t / math.Sqrt2)
	if t <= 0 || mass <= 0 {
		return 1
	}
	inner := math.Sqrt(2/math.Pi) * (1 - math.Exp(-t*t/2)) / mass
	return math.Sqrt(2/math.Pi) / inner
}

// floorSpread applies the configured floors to a spread around centre c.
func (d *Detector) floorSpread(s, c float64) float64 {
	s = math.Max(s, math.Max(d.cfg.MinSpread, d.cfg.MinRelSpread*math.Abs(c)))
	return math.Max(s, 1e-9*(1+math.Abs(c)))
}

// startModels creates the seasonal candidates once the first points show
// whether the data are non-negative and their typical size (the log offset
// is a tenth of the typical value, at least 1 for counts).
func (d *Detector) startModels() {
	h := d.cfg.History
	d.models = append(d.models, newSeasonal(false, h, false, 0), newSeasonal(true, h, false, 0))
	if d.nonNeg {
		typical, _ := robustCentreSpread(d.vals.values(), d.scratch)
		c := 0.1 * typical
		if d.integers {
			c = math.Max(c, 1)
		}
		switch {
		case d.integers && (d.cfg.Counts || d.cfg.Method == MethodPoisson || typical < maxAutoCount):
			// Counts: Anscombe units, where Poisson noise has unit
			// variance at every level. log(x+c) squeezes a night-time
			// spike of 11 orders where 3 were expected into 2 standard
			// deviations, and its back-transformed mean is low at small
			// counts (a geometric mean).
			dy, wk := newSeasonal(false, h, false, 0), newSeasonal(true, h, false, 0)
			dy.sqrtT, wk.sqrtT = true, true
			d.models = append(d.models, dy, wk)
		case c > 0:
			d.models = append(d.models, newSeasonal(false, h, true, c), newSeasonal(true, h, true, c))
		}
		mul := newSeasonal(false, h, false, 0)
		mul.mulDow, mul.sqrtT = true, d.integers
		d.models = append(d.models, mul)
	}
	d.preds = make([]candidate, len(d.models))
}

// maxAutoCount is the typical value below which integer data are taken for
// event counts when choosing model units; larger integers are more likely
// amounts in minor units (money), whose noise is not Poisson.
const maxAutoCount = 1000

// dropLogModels removes the log-unit and multiplicative models when a
// negative value shows the data are not a quantity.
func (d *Detector) dropLogModels() {
	kept := d.models[:0]
	for _, m := range d.models {
		if !m.logT && !m.mulDow && !m.sqrtT {
			kept = append(kept, m)
		}
	}
	d.models, d.preds = kept, d.preds[:len(kept)]
	d.back.active = false
}

// accumulate feeds the point's empirical score to the scan and folds the
// run evidence into s.
func (d *Detector) accumulate(s *Score, zEmp, v, trials float64) {
	cfg := &d.cfg
	if !s.Warm {
		return
	}
	clip := (cfg.Threshold + cfg.Critical) / 2
	zc := math.Max(-clip, math.Min(clip, zEmp))
	if math.Abs(zEmp) < cfg.Threshold {
		d.scan.learn(zEmp)
	} else {
		d.scan.broken()
	}
	mode, x := scanPlain, v
	switch {
	case cfg.Method == MethodZScore:
	case trials > 0:
		mode, x = scanBinomial, math.Round(v*trials)
	case d.countMode():
		mode = scanPoisson
	}
	d.scan.push(zc, x, math.Max(s.Expected, 0), math.Max(trials, 0))
	s.Sustained = d.scan.strongest(mode)
	s.Recent = d.scan.recent()
	if ev := math.Abs(s.Sustained) * cfg.Threshold / d.runBar(); ev > s.Evidence {
		s.Evidence = ev
	}
}

// choose returns the index of the seasonal model to use, or -1 for the
// plain level: the best out-of-sample fit, if it beats the plain level by
// its penalty (MethodSeasonal takes the best ready model regardless).
func (d *Detector) choose() int {
	best, bestLL := -1, math.Inf(-1)
	for i, m := range d.models {
		c := d.preds[i]
		if !c.ready || c.sigma <= 0 || !m.fit.enough() {
			continue
		}
		ll := m.fit.ll - dailyPenalty
		if m.weekly {
			ll = m.fit.ll - weeklyPenalty
		}
		if ll > bestLL {
			best, bestLL = i, ll
		}
	}
	if best < 0 || d.cfg.Method == MethodSeasonal {
		return best
	}
	if !d.plainFit.enough() || bestLL > d.plainFit.ll {
		return best
	}
	return -1
}

// evidence applies the confirmation rule to the new score z.
func (d *Detector) evidence(z float64, warm bool) float64 {
	cfg := &d.cfg
	if !warm {
		z = 0
	}
	az := math.Abs(z)
	ev := az * cfg.Threshold / cfg.Critical
	if az >= cfg.Critical || cfg.Confirm == 1 {
		ev = az
	} else if len(d.recentZ) == cfg.Confirm-1 {
		m := az
		for _, p := range d.recentZ {
			if (p > 0) != (z > 0) || p == 0 {
				m = 0
				break
			}
			m = math.Min(m, math.Abs(p))
		}
		ev = math.Max(ev, m)
	}
	if cfg.Confirm > 1 {
		if len(d.recentZ) == cfg.Confirm-1 {
			copy(d.recentZ, d.recentZ[1:])
			d.recentZ = d.recentZ[:len(d.recentZ)-1]
		}
		d.recentZ = append(d.recentZ, z)
	}
	return ev
}

// countMode reports whether values are treated as counts.
func (d *Detector) countMode() bool {
	return d.cfg.Counts || d.cfg.Method == MethodPoisson || (d.cfg.Method == MethodAuto && d.integers && d.n >= 2)
}

// trackStep keeps a robust running estimate of the sampling interval.
func (d *Detector) trackStep(at time.Time) {
	if !d.lastAt.IsZero() {
		dt := at.Sub(d.lastAt).Seconds()
		if dt > 0 {
			if d.step == 0 {
				d.step = dt
			} else {
				d.step += 0.05 * (math.Max(d.step/4, math.Min(d.step*4, dt)) - d.step)
			}
		}
	}
	d.lastAt = at
}

// samplesPerHour is how many points usually fall into one hour bucket.
func (d *Detector) samplesPerHour() float64 {
	if d.step <= 0 {
		return 1
	}
	return math.Max(1, 3600/d.step)
}
