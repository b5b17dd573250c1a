package detect

import (
	"math"
	"time"
)

// Seasonal models: hour of day (24 buckets, plus a day-of-week offset) and
// hour of week (168 buckets). Each is an additive Holt-Winters-style model,
// level + profile[bucket], in identity or log units (log(x+c): multiplicative
// seasonality and noise that grows with the level, as in counts and money),
// updated only with cleaned values. Buckets are wall-clock hours in the
// configured location, so irregular and sub-hourly points fall into the
// right bucket.
const (
	dayBuckets  = 24
	weekBuckets = 168
	// seasonPeriods is the memory of a bucket in periods (days or weeks).
	seasonPeriods = 32
	// readyPeriods is how many periods a bucket needs before it predicts.
	readyPeriods = 2
	// levelRate is the floor of the level's smoothing rate per hour of
	// data (divided by the samples per hour), so the level's memory is
	// about two days whatever the sampling interval.
	levelRate = 0.02
)

type seasonal struct {
	name   Method
	weekly bool
	logT   bool
	// mulDow makes the daily model's day-of-week effect a factor on level
	// and hour profile, in identity units: a weekend 25% quieter at every
	// hour with additive noise (money) fits neither additive identity
	// units nor log units.
	mulDow bool
	// sqrtT: Anscombe units 2√(x+3/8), where Poisson counts have unit
	// variance at every level (used by the multiplicative model on counts:
	// a day-of-week factor is still a factor in square-root units).
	sqrtT  bool
	c      float64 // log offset
	level  float64
	levelN int
	prof   []float64 // one per bucket
	cnt    []uint32
	// dow is a day-of-week offset (daily model only): it learns the weekend
	// from one week of data, long before an hour-of-week bucket can.
	dow    [7]float64
	dowCnt [7]uint32
	res    ring // out-of-sample residuals of cleaned values, model units
	// absRes is an exponentially weighted mean absolute residual over
	// absMemory points: a steadier scale than the MAD of History residuals
	// (a MAD of 64 values is off by 13% either way).
	absRes  float64
	absResN int
	fit     fitness
}

func newSeasonal(weekly bool, history int, logT bool, c float64) *seasonal {
	n, name := dayBuckets, methodDaily
	if weekly {
		n, name = weekBuckets, methodWeekly
	}
	return &seasonal{name: name, weekly: weekly, logT: logT, c: c,
		prof: make([]float64, n), cnt: make([]uint32, n), res: newRing(history)}
}

func (s *seasonal) bucket(t time.Time) int {
	if s.weekly {
		return int(t.Weekday())*24 + t.Hour()
	}
	return t.Hour()
}

func (s *seasonal) fwd(x float64) float64 {
	switch {
	case s.logT:
		return math.Log(math.Max(x, 0) + s.c)
	case s.sqrtT:
		return 2 * math.Sqrt(math.Max(x, 0)+anscombe)
	}
	return x
}

func (s *seasonal) inv(y float64) float64 {
	switch {
	case s.logT:
		return math.Exp(y) - s.c
	case s.sqrtT:
		y = math.Max(y, 0) / 2
		return y*y - anscombe
	}
	return y
}

// anscombe is the offset of the Anscombe transform.
const anscombe = 3.0 / 8

// jacobian is log|dy/dx| at x: it puts log-unit likelihoods in data units.
func (s *seasonal) jacobian(x float64) float64 {
	switch {
	case s.logT:
		return -math.Log(math.Max(x, 0) + s.c)
	case s.sqrtT:
		return -0.5 * math.Log(math.Max(x, 0)+anscombe)
	}
	return 0
}

// spot is where a time falls in a model: bucket b, and the neighbouring
// bucket b2 with weight w for interpolation. On sub-hourly data a bucket's
// profile is the hour's average, which a point at :05 or :55 on a steep
// part of the cycle misses by far; interpolating between bucket centres
// removes that step (hourly data sit at the centre: w = 0).
type spot struct {
	b, b2, wd int
	w         float64
}

func (s *seasonal) spot(t time.Time, wd int, sph, step float64) spot {
	b := s.bucket(t)
	sp := spot{b: b, b2: b, wd: wd}
	if sph < 2 {
		return sp
	}
	n := len(s.prof)
	x := (float64(t.Minute())*60 + float64(t.Second())) / 3600 // position in the hour
	centre := 0.5 - step/7200                                  // mean position of the hour's samples
	switch {
	case x >= centre:
		sp.b2, sp.w = (b+1)%n, x-centre
	default:
		sp.b2, sp.w = (b-1+n)%n, centre-x
	}
	if s.cnt[sp.b2] == 0 {
		sp.w = 0
	}
	return sp
}

// dowEff is the day-of-week effect.
func (s *seasonal) dowEff(wd int) float64 {
	return s.dow[wd]
}

// profile is the interpolated profile at p.
func (s *seasonal) profile(p spot) float64 {
	return (1-p.w)*s.prof[p.b] + p.w*s.prof[p.b2]
}

func (s *seasonal) predictAt(p spot) float64 {
	v := s.level + s.profile(p)
	switch {
	case s.mulDow:
		v *= 1 + s.dowEff(p.wd)
	case !s.weekly:
		v += s.dowEff(p.wd)
	}
	return v
}

// ready reports whether bucket b has seen readyPeriods periods of data
// (sph is the estimated number of samples per hour).
func (s *seasonal) ready(b int, sph float64) bool {
	return s.levelN > 0 && float64(s.cnt[b]) >= readyPeriods*sph
}

// update folds cleaned value yc (model units) at bucket b into the model;
// pred was its prediction, recorded as an out-of-sample residual when the
// model was ready and the point was not an outlier for it (outliers would
// widen the band an incident is measured against).
func (s *seasonal) update(p spot, yc, pred float64, record bool, sph float64) {
	b, wd := p.b, p.wd
	if record {
		s.res.push(yc - pred)
		s.absResN++
		s.absRes += (math.Abs(yc-pred) - s.absRes) / float64(min(s.absResN, absMemory))
	}
	if s.levelN == 0 {
		s.level = yc
	}
	s.levelN++
	if s.mulDow {
		s.updateMul(p, yc, sph)
		return
	}
	var dow float64
	if !s.weekly {
		dow = s.dowEff(wd)
	}
	s.level += math.Max(1/float64(s.levelN), levelRate/math.Max(1, sph)) * (yc - s.profile(p) - dow - s.level)
	s.cnt[b]++
	memory := math.Max(1, seasonPeriods*sph)
	s.prof[b] += (yc - s.level - dow - s.prof[b]) / math.Min(float64(s.cnt[b]), memory)
	if !s.weekly {
		s.dowCnt[wd]++
		s.dow[wd] += (yc - s.level - s.prof[b] - s.dow[wd]) / math.Min(float64(s.dowCnt[wd]), 2*24*math.Max(1, sph))
	}
}

// scale is the model's spread (one standard deviation of its prediction
// errors, model units): the weighted mean absolute residual once a day or
// so of them was seen, else the robust spread of the residual ring.
// Residuals beyond Threshold were never recorded, so the mean absolute
// residual of a truncated normal is corrected back (truncFactor).
func (s *seasonal) scale(scratch []float64, truncFactor float64) float64 {
	if s.absResN >= absMemory/2 {
		return meanAbsToSigma * truncFactor * s.absRes
	}
	_, sigma := robustCentreSpread(s.res.values(), scratch)
	return sigma
}

// absMemory is the memory of the mean absolute residual, in points: an
// exponential average over it is about as steady as a plain mean of twice
// as many, while early poor fits are forgotten within a few days.
const absMemory = 64

// updateMul is update for a multiplicative day-of-week factor.
func (s *seasonal) updateMul(p spot, yc, sph float64) {
	b, wd := p.b, p.wd
	f := math.Max(1+s.dowEff(wd), 0.05)
	y := yc / f // the value with its day-of-week factor removed
	s.level += math.Max(1/float64(s.levelN), levelRate/math.Max(1, sph)) * (y - s.profile(p) - s.level)
	s.cnt[b]++
	memory := math.Max(1, seasonPeriods*sph)
	s.prof[b] += (y - s.level - s.prof[b]) / math.Min(float64(s.cnt[b]), memory)
	if base := s.level + s.prof[b]; base > 1e-9 {
		s.dowCnt[wd]++
		r := math.Max(-0.95, math.Min(10, yc/base-1))
		s.dow[wd] += (r - s.dow[wd]) / math.Min(float64(s.dowCnt[wd]), 2*24*math.Max(1, sph))
	}
}

// fitness is an exponentially weighted mean of a model's out-of-sample
// Gaussian log-likelihood in the data's units, with |z| clipped so one
// outlier cannot decide. Unlike a mean error it rewards a model whose band
// is right, not just its centre: it picks log units when noise grows with
// the level and identity when it does not.
type fitness struct {
	ll float64
	n  int
}

// fitMemory is the number of points the model choice averages over: a week
// of hourly points, so weekends count.
const fitMemory = 168

// maxFitZ clips z in the likelihood.
const maxFitZ = 4

func (f *fitness) add(z, logSigma float64) {
	z = math.Min(math.Abs(z), maxFitZ)
	f.n++
	f.ll += (-logSigma - z*z/2 - f.ll) / float64(min(f.n, fitMemory))
}

func (f *fitness) enough() bool { return f.n >= fitMemory/2 }
