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
	fit    fitness
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
	if s.logT {
		return math.Log(math.Max(x, 0) + s.c)
	}
	return x
}

func (s *seasonal) inv(y float64) float64 {
	if s.logT {
		return math.Exp(y) - s.c
	}
	return y
}

// jacobian is log|dy/dx| at x: it puts log-unit likelihoods in data units.
func (s *seasonal) jacobian(x float64) float64 {
	if s.logT {
		return -math.Log(math.Max(x, 0) + s.c)
	}
	return 0
}

func (s *seasonal) predict(b, wd int) float64 {
	p := s.level + s.prof[b]
	switch {
	case s.mulDow:
		p *= 1 + s.dow[wd]
	case !s.weekly:
		p += s.dow[wd]
	}
	return p
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
func (s *seasonal) update(b, wd int, yc, pred float64, record bool, sph float64) {
	if record {
		s.res.push(yc - pred)
	}
	if s.levelN == 0 {
		s.level = yc
	}
	s.levelN++
	if s.mulDow {
		s.updateMul(b, wd, yc, sph)
		return
	}
	var dow float64
	if !s.weekly {
		dow = s.dow[wd]
	}
	s.level += math.Max(1/float64(s.levelN), levelRate/math.Max(1, sph)) * (yc - s.prof[b] - dow - s.level)
	s.cnt[b]++
	memory := math.Max(1, seasonPeriods*sph)
	s.prof[b] += (yc - s.level - dow - s.prof[b]) / math.Min(float64(s.cnt[b]), memory)
	if !s.weekly {
		s.dowCnt[wd]++
		s.dow[wd] += (yc - s.level - s.prof[b] - s.dow[wd]) / math.Min(float64(s.dowCnt[wd]), 2*24*math.Max(1, sph))
	}
}

// updateMul is update for a multiplicative day-of-week factor.
func (s *seasonal) updateMul(b, wd int, yc, sph float64) {
	f := math.Max(1+s.dow[wd], 0.05)
	y := yc / f // the value with its day-of-week factor removed
	s.level += math.Max(1/float64(s.levelN), levelRate/math.Max(1, sph)) * (y - s.prof[b] - s.level)
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
