package analytics

import "math"

// Accuracy is how well a method forecast a series one step ahead.
type Accuracy struct {
	Method    string `json:"method"`
	Forecasts int    `json:"forecasts"`
	// MAPE is the mean absolute percentage error, in percent, over the
	// MAPEPoints forecasts whose actual value is positive.
	MAPE       float64 `json:"mape"`
	MAPEPoints int     `json:"mape_points"`
	MAE        float64 `json:"mae"`
	// Coverage80 and Coverage95 are the shares of actual values inside the
	// 80% and 95% prediction intervals (bounds included).
	Coverage80 float64 `json:"coverage80"`
	Coverage95 float64 `json:"coverage95"`
}

// Backtest replays y one point at a time, as the Engine sees a series:
// before each y[t], t >= from, both the Engine's forecaster (Holt-Winters,
// refitted once a season, on at most history points) and seasonal-naive
// (y[t-season], its interval from its own past errors over the same
// history) forecast y[t]. Only points where both forecast are scored, so
// the two are compared on the same points.
func Backtest(y []float64, season, history, from int) (hw, naive Accuracy) {
	f := forecaster{m: season}
	var a, b tally
	for t := max(from, 0); t < len(y); t++ {
		win := y[max(0, t-history):t]
		if len(win) < 2*season {
			continue
		}
		p, ok := f.predict(win)
		if !ok || p.Method != MethodHoltWinters {
			continue
		}
		a.add(p, y[t])
		b.add(seasonalNaive(win, season), y[t])
	}
	return a.accuracy(MethodHoltWinters), b.accuracy(MethodSeasonalNaive)
}

type tally struct {
	n, nPos, in80, in95 int
	ape, ae             float64
}

func (t *tally) add(p Prediction, actual float64) {
	t.n++
	e := math.Abs(actual - p.Point)
	t.ae += e
	if actual > 0 {
		t.nPos++
		t.ape += e / actual
	}
	if actual >= p.Low80 && actual <= p.High80 {
		t.in80++
	}
	if actual >= p.Low95 && actual <= p.High95 {
		t.in95++
	}
}

func (t *tally) accuracy(method string) Accuracy {
	a := Accuracy{Method: method, Forecasts: t.n, MAPEPoints: t.nPos}
	if t.n > 0 {
		a.MAE = t.ae / float64(t.n)
		a.Coverage80 = float64(t.in80) / float64(t.n)
		a.Coverage95 = float64(t.in95) / float64(t.n)
	}
	if t.nPos > 0 {
		a.MAPE = 100 * t.ape / float64(t.nPos)
	}
	return a
}
