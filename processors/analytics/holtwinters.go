package analytics

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Forecast methods.
const (
	MethodHoltWinters   = "holt_winters_additive"
	MethodSeasonalNaive = "seasonal_naive"
)

// HWParams are the smoothing rates of additive Holt-Winters with a damped
// trend: Alpha (level), Beta (trend, 0 for none), Gamma (season), Phi
// (trend damping).
type HWParams struct {
	Alpha float64 `json:"alpha"`
	Beta  float64 `json:"beta"`
	Gamma float64 `json:"gamma"`
	Phi   float64 `json:"phi"`
}

// defaultHW is used until a series has enough out-of-sample history to fit.
var defaultHW = HWParams{Alpha: 0.1, Beta: 0, Gamma: 0.1, Phi: 1}

// hwGrid is searched for the parameters with the least absolute one-step
// error. A grid, rather than an optimiser, keeps the fit deterministic and
// its cost fixed.
var hwGrid = func() []HWParams {
	var g []HWParams
	for _, a := range []float64{0.02, 0.05, 0.1, 0.2, 0.35, 0.5} {
		for _, b := range []float64{0, 0.02} {
			for _, c := range []float64{0.02, 0.05, 0.1, 0.2, 0.35} {
				phi := 1.0
				if b > 0 {
					phi = 0.9
				}
				g = append(g, HWParams{Alpha: a, Beta: b, Gamma: c, Phi: phi})
			}
		}
	}
	return g
}()

// Interval levels every prediction carries.
const (
	level80 = 0.80
	level95 = 0.95
	// minResiduals is the fewest residuals an empirical interval (and a
	// parameter fit) uses; below it the interval is Student's t with the
	// residuals' RMS as scale.
	minResiduals = 30
	// minForecastResiduals is the fewest residuals any forecast is made with.
	minForecastResiduals = 5
)

// Prediction is a one-step-ahead forecast with prediction intervals.
type Prediction struct {
	Point  float64  `json:"point"`
	Low80  float64  `json:"low80"`
	High80 float64  `json:"high80"`
	Low95  float64  `json:"low95"`
	High95 float64  `json:"high95"`
	Method string   `json:"method"`
	Params HWParams `json:"params"`
	// Points is the history the forecast used; Residuals how many
	// out-of-sample one-step errors set the interval.
	Points    int `json:"points"`
	Residuals int `json:"residuals"`
}

// scaler standardises errors: noise in counts and money grows with the
// level (Poisson-like: variance ∝ mean), so an error e at prediction ŷ is
// measured as e / sqrt(max(ŷ, 0) + c), with c a tenth of the series' mean
// absolute value keeping quiet hours from dominating.
type scaler float64

func newScaler(y []float64) scaler {
	var s float64
	for _, v := range y {
		s += math.Abs(v)
	}
	c := 0.1 * s / float64(max(len(y), 1))
	return scaler(max(c, 1e-9))
}

func (c scaler) of(pred float64) float64 { return math.Sqrt(max(pred, 0) + float64(c)) }

// hwRun runs additive Holt-Winters over y (len(y) >= 2m): initial level,
// trend and season from the first two seasons, then one update per later
// point. It returns the forecast of the point after y, the sum of absolute
// one-step errors from 2m on, and appends standardised one-step errors to z.
func hwRun(y []float64, m int, p HWParams, sc scaler, z []float64) (next, sae float64, _ []float64) {
	mean1, mean2 := stat.Mean(y[:m], nil), stat.Mean(y[m:2*m], nil)
	var trend float64
	if p.Beta > 0 {
		trend = (mean2 - mean1) / float64(m)
	}
	season := make([]float64, m)
	for i := range season {
		season[i] = (y[i] - mean1 + y[m+i] - mean2) / 2
	}
	level := mean2 + trend*float64(m-1)/2 // at index 2m-1
	for i := 2 * m; i < len(y); i++ {
		s := &season[i%m]
		pred := level + p.Phi*trend + *s
		e := y[i] - pred
		sae += math.Abs(e)
		if z != nil {
			z = append(z, e/sc.of(pred))
		}
		prev := level
		level = p.Alpha*(y[i]-*s) + (1-p.Alpha)*(prev+p.Phi*trend)
		trend = p.Beta*(level-prev) + (1-p.Beta)*p.Phi*trend
		*s = p.Gamma*(y[i]-level) + (1-p.Gamma)**s
	}
	return level + p.Phi*trend + season[len(y)%m], sae, z
}

// fitHW picks the grid parameters with the least absolute one-step error
// on y; defaultHW when y has fewer than minResiduals points past 2m.
func fitHW(y []float64, m int) HWParams {
	if len(y)-2*m < minResiduals {
		return defaultHW
	}
	sc := newScaler(y)
	best, bestErr := defaultHW, math.Inf(1)
	for _, p := range hwGrid {
		if _, sae, _ := hwRun(y, m, p, sc, nil); sae < bestErr {
			best, bestErr = p, sae
		}
	}
	return best
}

// forecaster forecasts one series one step ahead, refitting its
// Holt-Winters parameters once a season. It is fed the series' latest
// history on every new point.
type forecaster struct {
	m        int
	params   HWParams
	fitted   bool
	sinceFit int
}

func residualCap(m int) int { return max(4*m, 200) }

// predict forecasts the point after y: Holt-Winters from two seasons of
// history plus minForecastResiduals points, seasonal-naive from one season
// plus minForecastResiduals points, else ok is false.
func (f *forecaster) predict(y []float64) (p Prediction, ok bool) {
	m := f.m
	switch {
	case len(y) >= 2*m+minForecastResiduals:
		if !f.fitted || f.sinceFit >= m {
			f.params, f.fitted, f.sinceFit = fitHW(y, m), len(y)-2*m >= minResiduals, 0
		}
		f.sinceFit++
		sc := newScaler(y)
		next, _, z := hwRun(y, m, f.params, sc, make([]float64, 0, len(y)-2*m))
		p = interval(next, z[max(0, len(z)-residualCap(m)):], sc, y)
		p.Method, p.Params = MethodHoltWinters, f.params
	case len(y) >= m+minForecastResiduals:
		p = seasonalNaive(y, m)
	default:
		return p, false
	}
	p.Points = len(y)
	return p, true
}

// seasonalNaive forecasts the point after y as the value one season
// earlier, with an interval from the same rule's past errors.
func seasonalNaive(y []float64, m int) Prediction {
	sc := newScaler(y)
	from := max(m, len(y)-residualCap(m))
	z := make([]float64, 0, len(y)-from)
	for i := from; i < len(y); i++ {
		z = append(z, (y[i]-y[i-m])/sc.of(y[i-m]))
	}
	p := interval(y[len(y)-m], z, sc, y)
	p.Method = MethodSeasonalNaive
	p.Points = len(y)
	return p
}

// interval turns standardised residuals z into 80% and 95% prediction
// intervals around point: empirical quantiles of z (asymmetric, so skew is
// kept) from minResiduals residuals, else Student's t with z's RMS. Lows are
// clamped (and the point too) at min(0, min(y)): a series that never went negative is not
// forecast to.
func interval(point float64, z []float64, sc scaler, y []float64) Prediction {
	floor := min(0, slices.Min(y))
	point = max(point, floor)
	p := Prediction{Point: point, Residuals: len(z)}
	s := sc.of(point)
	q := func(lo, hi float64) (float64, float64) {
		if len(z) >= minResiduals {
			sorted := slices.Sorted(slices.Values(z))
			return stat.Quantile(lo, stat.Empirical, sorted, nil), stat.Quantile(hi, stat.Empirical, sorted, nil)
		}
		var ss float64
		for _, v := range z {
			ss += v * v
		}
		rms := 0.0
		if len(z) > 0 {
			rms = math.Sqrt(ss / float64(len(z)))
		}
		d := distuv.StudentsT{Mu: 0, Sigma: max(rms, 1e-12), Nu: float64(max(len(z)-1, 1))}
		return d.Quantile(lo), d.Quantile(hi)
	}
	lo, hi := q((1-level80)/2, (1+level80)/2)
	p.Low80, p.High80 = max(point+lo*s, floor), point+hi*s
	lo, hi = q((1-level95)/2, (1+level95)/2)
	p.Low95, p.High95 = max(point+lo*s, floor), point+hi*s
	return p
}
