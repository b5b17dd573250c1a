package analytics

import (
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Direction is where a trend points.
type Direction string

// Directions.
const (
	DirectionIncreasing Direction = "increasing"
	DirectionDecreasing Direction = "decreasing"
	DirectionStable     Direction = "stable"
)

// Trend is a least-squares line through the latest periods of a series.
type Trend struct {
	Metric   string `json:"metric"`
	Currency string `json:"currency"`
	Size     string `json:"size"` // "1h" or "1d": the period
	Points   int    `json:"points"`
	Observed int    `json:"observed"` // points backed by a window; the rest are zero
	// Slope is the change per period in metric units (revenue in minor
	// units), SlopeSE its standard error (0 below 3 points).
	Slope   float64 `json:"slope"`
	SlopeSE float64 `json:"slope_se"`
	// PValue is the two-sided p-value of the t-test of Slope = 0 (Student's
	// t, n - 2 degrees of freedom, n - Period - 1 with a season); 1 when
	// it cannot be computed.
	PValue float64 `json:"p_value"`
	// Period is the season removed before the fit (168 for hourly trends:
	// hour of the week), 0 for none.
	Period int `json:"period,omitempty"`
	// Mean is the mean of the points; Growth = Slope / |Mean|, the relative
	// change per period (0 when Mean is 0).
	Mean      float64   `json:"mean"`
	Growth    float64   `json:"growth"`
	Direction Direction `json:"direction"`
}

// FitTrend fits y[i] = a + Slope·i by least squares (gonum
// stat.LinearRegression) and classifies the growth: stable when
// |Growth| <= tolerance, increasing above, decreasing below. The boundary
// itself is stable. PValue is reported but does not gate the direction
// (daily trends are published every day; see FitSeasonalTrend).
func FitTrend(y []float64, tolerance float64) Trend {
	t := Trend{Points: len(y), Direction: DirectionStable, PValue: 1}
	if len(y) < 2 {
		if len(y) == 1 {
			t.Mean = y[0]
		}
		return t
	}
	x := make([]float64, len(y))
	for i := range x {
		x[i] = float64(i)
	}
	alpha, beta := stat.LinearRegression(x, y, nil, false)
	t.Slope = beta
	t.Mean = stat.Mean(y, nil)
	if n := float64(len(y)); len(y) > 2 {
		var ssr float64
		for i, v := range y {
			r := v - (alpha + beta*x[i])
			ssr += r * r
		}
		sxx := n * (n*n - 1) / 12 // Σ(i - mean i)² for i = 0..n-1
		t.SlopeSE = math.Sqrt(ssr / (n - 2) / sxx)
	}
	t.PValue = pValue(t.Slope, t.SlopeSE, len(y)-2)
	t.classify(tolerance, 1)
	return t
}

// classify sets Growth and Direction: increasing when Growth > tolerance
// and PValue < alpha, decreasing when Growth < -tolerance and PValue <
// alpha, else stable. The tolerance itself is stable.
func (t *Trend) classify(tolerance, alpha float64) {
	if t.Mean != 0 {
		t.Growth = t.Slope / math.Abs(t.Mean)
	}
	t.Direction = DirectionStable
	switch {
	case t.PValue >= alpha && alpha < 1:
	case t.Growth > tolerance:
		t.Direction = DirectionIncreasing
	case t.Growth < -tolerance:
		t.Direction = DirectionDecreasing
	}
}

// pValue is the two-sided p-value of slope/se under Student's t with df
// degrees of freedom: 1 when it cannot be computed, 0 for an exact fit of
// a non-zero slope.
func pValue(slope, se float64, df int) float64 {
	switch {
	case df < 1 || math.IsNaN(se):
		return 1
	case se == 0 && slope == 0:
		return 1
	case se == 0:
		return 0
	}
	return 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(df)}.Survival(math.Abs(slope/se))
}

// FitSeasonalTrend fits y[i] = Slope·i + s[i mod period] by least squares,
// one level per phase of the season (for hours, period 168: the hour of
// the week, which takes out both the daily and the weekly profile). By
// Frisch-Waugh-Lovell it is the regression through the origin (gonum
// stat.LinearRegression) of y and i each less its phase mean; with two
// seasons it is the mean change between the same phase of the two,
// divided by period. SlopeSE = sqrt(SSR / (n - period - 1) / Σ ĩ²), and the
// direction needs both |Growth| > tolerance and PValue < alpha. It needs
// n >= 2·period (at least two of each phase); with fewer points it
// returns a stable trend with PValue 1.
func FitSeasonalTrend(y []float64, period int, tolerance, alpha float64) Trend {
	t := Trend{Points: len(y), Period: period, Direction: DirectionStable, PValue: 1}
	n := len(y)
	if period < 1 || n < 2*period {
		if n > 0 {
			t.Mean = stat.Mean(y, nil)
		}
		return t
	}
	sumY := make([]float64, period)
	sumX := make([]float64, period)
	cnt := make([]float64, period)
	for i, v := range y {
		sumY[i%period] += v
		sumX[i%period] += float64(i)
		cnt[i%period]++
	}
	x, r := make([]float64, n), make([]float64, n)
	for i, v := range y {
		p := i % period
		x[i] = float64(i) - sumX[p]/cnt[p]
		r[i] = v - sumY[p]/cnt[p]
	}
	_, beta := stat.LinearRegression(x, r, nil, true)
	var ssr, sxx float64
	for i := range x {
		e := r[i] - beta*x[i]
		ssr += e * e
		sxx += x[i] * x[i]
	}
	df := n - period - 1
	t.Slope, t.Mean = beta, stat.Mean(y, nil)
	t.SlopeSE = math.Sqrt(ssr / float64(df) / sxx)
	t.PValue = pValue(beta, t.SlopeSE, df)
	t.classify(tolerance, alpha)
	return t
}
