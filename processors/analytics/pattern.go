package analytics

import (
	"slices"
	"time"

	"gonum.org/v1/gonum/stat"
)

// WeeklyPattern is mean revenue by local weekday.
type WeeklyPattern struct {
	Metric   string       `json:"metric"`
	Currency string       `json:"currency"`
	Means    [7]float64   `json:"means"`  // by time.Weekday, Sunday first
	Counts   [7]int       `json:"counts"` // days averaged per weekday
	Best     time.Weekday `json:"best"`
	Worst    time.Weekday `json:"worst"`
	Ratio    float64      `json:"ratio"` // Means[Best] / Means[Worst]; 0 when the worst is 0 or less
	Strong   bool         `json:"strong"`
	Days     int          `json:"days"`
	Observed int          `json:"observed"`
}

// DailyPattern is mean revenue by local hour of day.
type DailyPattern struct {
	Metric   string      `json:"metric"`
	Currency string      `json:"currency"`
	Means    [24]float64 `json:"means"`
	Peak     []int       `json:"peak"` // the PeakHours busiest hours, ascending by hour
	Best     int         `json:"best"`
	Worst    int         `json:"worst"`
	Ratio    float64     `json:"ratio"`
	Strong   bool        `json:"strong"`
	// UTCOffset is the offset, in seconds east of UTC, the hours are in.
	UTCOffset int `json:"utc_offset"`
	Hours     int `json:"hours"`
	Observed  int `json:"observed"`
}

// WeeklyPatternOf averages values by weekday: weekday[i] is the local
// weekday of values[i]. Best is the weekday with the highest mean, Worst
// the lowest (ties go to the earlier weekday, Sunday first); the pattern is
// strong when Means[Best] > ratio × Means[Worst], strictly. ok is false
// when some weekday has fewer than minPerWeekday values.
func WeeklyPatternOf(values []float64, weekday []time.Weekday, minPerWeekday int, ratio float64) (p WeeklyPattern, ok bool) {
	var by [7][]float64
	for i, v := range values {
		by[weekday[i]] = append(by[weekday[i]], v)
	}
	for d := range by {
		if len(by[d]) < minPerWeekday || len(by[d]) == 0 {
			return p, false
		}
		p.Counts[d] = len(by[d])
		p.Means[d] = stat.Mean(by[d], nil)
	}
	best, worst := extremes(p.Means[:])
	p.Best, p.Worst = time.Weekday(best), time.Weekday(worst)
	p.Ratio, p.Strong = strength(p.Means[best], p.Means[worst], ratio)
	p.Days = len(values)
	return p, true
}

// DailyPatternOf averages values by hour of day (hour[i] in 0..23) and
// names the peak busiest hours. ok is false unless every hour has a value.
func DailyPatternOf(values []float64, hour []int, peak int, ratio float64) (p DailyPattern, ok bool) {
	var sum [24]float64
	var n [24]int
	for i, v := range values {
		sum[hour[i]] += v
		n[hour[i]]++
	}
	for h := range sum {
		if n[h] == 0 {
			return p, false
		}
		p.Means[h] = sum[h] / float64(n[h])
	}
	p.Best, p.Worst = extremes(p.Means[:])
	p.Ratio, p.Strong = strength(p.Means[p.Best], p.Means[p.Worst], ratio)
	order := make([]int, 24)
	for h := range order {
		order[h] = h
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case p.Means[a] > p.Means[b]:
			return -1
		case p.Means[a] < p.Means[b]:
			return 1
		}
		return 0
	})
	p.Peak = slices.Sorted(slices.Values(order[:min(peak, 24)]))
	p.Hours = len(values)
	return p, true
}

// extremes returns the indexes of the largest and smallest value, the
// earliest on ties.
func extremes(v []float64) (best, worst int) {
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
		if v[i] < v[worst] {
			worst = i
		}
	}
	return best, worst
}

// strength is best/worst and whether best > ratio × worst. A worst of zero
// or less makes any positive best strong, with ratio 0 (undefined: JSON has
// no infinity).
func strength(best, worst, ratio float64) (float64, bool) {
	if worst > 0 {
		return best / worst, best > ratio*worst
	}
	if best > 0 {
		return 0, true
	}
	return 1, false
}
