package detect

import (
	"math"
	"time"
)

// Seasonal profiles: hour of day (24 buckets) and hour of week (168). Each
// is an additive Holt-Winters-style model, level + profile[bucket], updated
// only with cleaned values. Buckets are by wall-clock hour in the configured
// location, so irregular and sub-hourly intervals fall into the right bucket.
const (
	dayBuckets  = 24
	weekBuckets = 168
	// seasonPeriods is the memory of a bucket in periods (days or weeks).
	seasonPeriods = 8
	// readyPeriods is how many periods a bucket needs before it predicts.
	readyPeriods = 2
	// levelRate is the floor of the level's smoothing rate.
	levelRate = 0.02
)

type seasonal struct {
	level  float64
	levelN int
	prof   []float64 // one per bucket
	cnt    []uint32
	// dow is a day-of-week offset (daily model only): it learns the weekend
	// from one week of data, long before an hour-of-week bucket can.
	dow    [7]float64
	dowCnt [7]uint32
	useDow bool
	res    ring // out-of-sample residuals of cleaned values
	// mae is an exponentially weighted mean absolute out-of-sample error,
	// maeN how many points it averages; they choose between models.
	mae  float64
	maeN int
}

func newSeasonal(buckets, history int, useDow bool) seasonal {
	return seasonal{prof: make([]float64, buckets), cnt: make([]uint32, buckets), res: newRing(history), useDow: useDow}
}

func dayBucket(t time.Time) int  { return t.Hour() }
func weekBucket(t time.Time) int { return int(t.Weekday())*24 + t.Hour() }

func (s *seasonal) predict(b, wd int) float64 {
	p := s.level + s.prof[b]
	if s.useDow {
		p += s.dow[wd]
	}
	return p
}

// ready reports whether bucket b has seen readyPeriods periods of data
// (sph is the estimated number of samples per hour).
func (s *seasonal) ready(b int, sph float64) bool {
	return s.levelN > 0 && float64(s.cnt[b]) >= readyPeriods*sph
}

// update folds cleaned value xc at bucket b into the model; pred is what the
// model predicted for it before it was seen and counts tells whether the
// prediction was ready (only then does it feed the error statistics).
func (s *seasonal) update(b, wd int, xc, pred float64, wasReady bool, sph float64) {
	if wasReady {
		e := xc - pred
		s.res.push(e)
		s.maeN++
		s.mae += (math.Abs(e) - s.mae) / float64(min(s.maeN, maeMemory))
	}
	if s.levelN == 0 {
		s.level = xc
	}
	s.levelN++
	var dow float64
	if s.useDow {
		dow = s.dow[wd]
	}
	s.level += math.Max(1/float64(s.levelN), levelRate) * (xc - s.prof[b] - dow - s.level)
	s.cnt[b]++
	memory := math.Max(1, seasonPeriods*sph)
	s.prof[b] += (xc - s.level - dow - s.prof[b]) / math.Min(float64(s.cnt[b]), memory)
	if s.useDow {
		s.dowCnt[wd]++
		s.dow[wd] += (xc - s.level - s.prof[b] - s.dow[wd]) / math.Min(float64(s.dowCnt[wd]), 2*24*math.Max(1, sph))
	}
}
