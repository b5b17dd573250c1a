package detect

import (
	"math"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// maeMemory is the number of points the model-choice error averages over.
const maeMemory = 168

// Model choice margins: a seasonal model must predict clearly better than
// the plain level (and weekly better than daily) to be chosen, so noise in
// the comparison does not make the method flap.
const (
	seasonalMargin = 0.85
	weeklyMargin   = 0.9
)

// Score is the verdict on one observed point.
type Score struct {
	At       time.Time
	Value    float64
	Expected float64
	// Band is the range the detector considers usual:
	// Expected ± Threshold·Spread (clamped at 0 for counts).
	Band events.Band
	// Spread is the standard deviation the score is measured in.
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
	// Adapted is set on the point that made the detector accept a level
	// shift and re-centre its baseline.
	Adapted bool
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

// Detector scores one series online: one (tenant, metric, window size,
// currency) key. It is not safe for concurrent use; one goroutine owns it.
// Memory is bounded by Config.History (see doc.go for the figure).
type Detector struct {
	cfg Config

	n         int  // valid points observed
	vals      ring // cleaned values: plain level and spread
	scratch   []float64
	day       seasonal
	week      seasonal
	plainMAE  float64
	plainMAEN int

	lastAt   time.Time
	step     float64 // smoothed seconds between points
	integers bool    // every value so far was a non-negative integer

	recentZ []float64 // last Confirm-1 scores, newest last
	run     int       // consecutive anomalous points in one direction
	runSign float64
	pendX   []float64 // raw values of the current run (for adaptation)
	pendDay []uint8
	pendWk  []uint8
	pendWd  []uint8
}

// NewDetector validates cfg and returns a detector with empty history.
func NewDetector(cfg Config) (*Detector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	h := cfg.History
	adapt := max(cfg.AdaptAfter, 0)
	return &Detector{
		cfg:      cfg,
		vals:     newRing(h),
		scratch:  make([]float64, h),
		day:      newSeasonal(dayBuckets, h, true),
		week:     newSeasonal(weekBuckets, h, false),
		integers: true,
		recentZ:  make([]float64, 0, cfg.Confirm),
		pendX:    make([]float64, 0, adapt),
		pendDay:  make([]uint8, 0, adapt),
		pendWk:   make([]uint8, 0, adapt),
		pendWd:   make([]uint8, 0, adapt),
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

func (d *Detector) observe(at time.Time, v, trials float64) Score {
	cfg := &d.cfg
	s := Score{At: at, Value: v, Method: cfg.Method, threshold: cfg.Threshold}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return s
	}
	s.Valid = true
	d.trackStep(at)
	if trials < 0 && !isCount(v) {
		d.integers = false
	}
	lt := at.In(cfg.Location)
	db, wb, wd := dayBucket(lt), weekBucket(lt), int(lt.Weekday())
	sph := d.samplesPerHour()

	// Baseline: each model predicts before it sees the point.
	var plainC, plainS float64
	if d.vals.len() > 0 {
		if cfg.Method == MethodZScore {
			plainC, plainS = meanStd(d.vals.values())
		} else {
			plainC, plainS = robustCentreSpread(d.vals.values(), d.scratch)
		}
	}
	dayReady, weekReady := d.day.ready(db, sph), d.week.ready(wb, sph)
	dayPred, weekPred := d.day.predict(db, wd), d.week.predict(wb, wd)

	expected, spread, method, hist := plainC, plainS, cfg.Method, d.vals.len()
	switch cfg.Method {
	case MethodAuto, MethodPoisson:
		method = MethodRobust
	}
	if cfg.Method == MethodAuto || cfg.Method == MethodSeasonal || cfg.Method == MethodPoisson {
		if m := d.chooseSeasonal(dayReady, weekReady); m != nil {
			b, name := db, methodDaily
			if m == &d.week {
				b, name = wb, methodWeekly
			}
			expected = m.predict(b, wd)
			_, spread = robustCentreSpread(m.res.values(), d.scratch)
			method, hist = name, d.n
		}
	}
	if hist > 0 {
		spread *= math.Sqrt(1 + 1/float64(hist)) // prediction, not in-sample, spread
	}
	spread = math.Max(spread, math.Max(cfg.MinSpread, cfg.MinRelSpread*math.Abs(expected)))
	spread = math.Max(spread, 1e-9*(1+math.Abs(expected)))

	if hist > 0 {
		z := (v - expected) / spread
		counts := cfg.Counts || cfg.Method == MethodPoisson || (cfg.Method == MethodAuto && d.integers && d.n >= 2)
		switch {
		case trials > 0:
			cz := binomialZ(math.Round(v*trials), trials, expected)
			if cfg.Method != MethodZScore {
				z = boundZ(z, cz)
				if z == cz && z != 0 {
					method = methodBinom
				}
			}
		case counts && trials < 0:
			lambda := math.Max(expected, 0)
			cz := poissonZ(v, lambda)
			if cfg.Method == MethodPoisson {
				z, method = cz, MethodPoisson
			} else {
				z = boundZ(z, cz)
				if z == cz && z != 0 {
					method = MethodPoisson
				}
			}
			// Report the band in the test's own terms: Poisson when that is wider.
			spread = math.Max(spread, math.Sqrt(math.Max(lambda, minLambda)))
		}
		s.Z = math.Max(-maxZ, math.Min(maxZ, z))
		s.Expected, s.Spread, s.Method, s.History = expected, spread, method, hist
		lo, hi := expected-cfg.Threshold*spread, expected+cfg.Threshold*spread
		if trials > 0 || (d.integers && trials < 0 && lo < 0) {
			lo = math.Max(lo, 0)
		}
		s.Band = events.Band{Low: lo, High: hi}
	}
	s.Warm = d.n >= cfg.Warmup && hist > 0
	s.Evidence = d.evidence(s.Z, s.Warm)
	s.Anomalous = s.Warm && math.Abs(s.Z) >= cfg.Threshold
	s.Alert = s.Warm && s.Evidence >= cfg.Threshold

	// Clean the point: anomalous points enter the history clipped to the
	// band edge, so they cannot drag the baseline or inflate the spread.
	xc := v
	if hist > 0 && d.n >= cfg.Warmup/2 {
		lim := cfg.Threshold * spread
		xc = expected + math.Max(-lim, math.Min(lim, v-expected))
	}
	if d.vals.len() > 0 {
		d.plainMAEN++
		d.plainMAE += (math.Abs(xc-plainC) - d.plainMAE) / float64(min(d.plainMAEN, maeMemory))
	}
	d.vals.push(xc)
	d.day.update(db, wd, xc, dayPred, dayReady, sph)
	d.week.update(wb, wd, xc, weekPred, weekReady, sph)
	d.n++

	s.Adapted = d.adapt(s, v, db, wb, wd)
	return s
}

// chooseSeasonal returns the seasonal model to use, or nil for the plain
// level: the one with the smallest recent out-of-sample error, if it beats
// the plain level by a clear margin (or whenever ready, for MethodSeasonal).
func (d *Detector) chooseSeasonal(dayReady, weekReady bool) *seasonal {
	enough := func(m *seasonal) bool { return m.maeN >= maeMemory/2 }
	var best *seasonal
	if dayReady && enough(&d.day) {
		best = &d.day
	}
	if weekReady && enough(&d.week) && (best == nil || d.week.mae < weeklyMargin*best.mae) {
		best = &d.week
	}
	if best == nil || d.cfg.Method == MethodSeasonal {
		return best
	}
	if best.mae < seasonalMargin*d.plainMAE {
		return best
	}
	return nil
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

// adapt counts consecutive anomalous points in one direction; after
// AdaptAfter of them it accepts a level shift: the baselines are re-centred
// on the raw values of the run, keeping their spread and seasonal shape.
func (d *Detector) adapt(s Score, raw float64, db, wb, wd int) bool {
	cfg := &d.cfg
	if cfg.AdaptAfter < 0 {
		return false
	}
	sign := math.Copysign(1, s.Z)
	if !s.Anomalous || (d.run > 0 && sign != d.runSign) {
		d.run, d.pendX, d.pendDay, d.pendWk, d.pendWd = 0, d.pendX[:0], d.pendDay[:0], d.pendWk[:0], d.pendWd[:0]
		if !s.Anomalous {
			return false
		}
	}
	d.run++
	d.runSign = sign
	d.pendX = append(d.pendX, raw)
	d.pendDay = append(d.pendDay, uint8(db))
	d.pendWk = append(d.pendWk, uint8(wb))
	d.pendWd = append(d.pendWd, uint8(wd))
	if d.run < cfg.AdaptAfter {
		return false
	}
	k := len(d.pendX)
	buf := d.scratch[:k]
	// Plain level: the run's clipped entries are the newest k of the ring;
	// replace them with the raw values and move the rest by the shift.
	copy(buf, d.pendX)
	newLevel := median(buf)
	oldC := plainCentre(d)
	d.vals.shift(newLevel - oldC)
	size := len(d.vals.buf)
	for i := max(0, k-d.vals.len()); i < k; i++ {
		d.vals.buf[((d.vals.next-k+i)%size+size)%size] = d.pendX[i]
	}
	for _, m := range []struct {
		s *seasonal
		b []uint8
	}{{&d.day, d.pendDay}, {&d.week, d.pendWk}} {
		for i := range k {
			buf[i] = d.pendX[i] - m.s.predict(int(m.b[i]), int(d.pendWd[i]))
		}
		m.s.level += median(buf[:k])
	}
	d.run, d.pendX, d.pendDay, d.pendWk, d.pendWd = 0, d.pendX[:0], d.pendDay[:0], d.pendWk[:0], d.pendWd[:0]
	d.recentZ = d.recentZ[:0]
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
