package analytics

import (
	"math"

	"gonum.org/v1/gonum/stat"
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
	// Mean is the mean of the points; Growth = Slope / |Mean|, the relative
	// change per period (0 when Mean is 0).
	Mean      float64   `json:"mean"`
	Growth    float64   `json:"growth"`
	Direction Direction `json:"direction"`
}

// FitTrend fits y[i] = a + Slope·i by least squares (gonum
// stat.LinearRegression) and classifies the growth: stable when
// |Growth| <= tolerance, increasing above, decreasing below. The boundary
// itself is stable.
func FitTrend(y []float64, tolerance float64) Trend {
	t := Trend{Points: len(y), Direction: DirectionStable}
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
	if t.Mean != 0 {
		t.Growth = t.Slope / math.Abs(t.Mean)
	}
	switch {
	case t.Growth > tolerance:
		t.Direction = DirectionIncreasing
	case t.Growth < -tolerance:
		t.Direction = DirectionDecreasing
	}
	return t
}
