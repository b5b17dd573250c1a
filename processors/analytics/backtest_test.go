package analytics

import (
	"testing"
	"time"
)

// TestForecastBacktest replays six weeks of generated traffic (4 tenants,
// 400 to 3,000 orders a day, daily and weekly seasonality, injected
// anomalies) one period at a time and scores one-step forecasts from the
// third week on: Holt-Winters against seasonal-naive (same hour last week,
// same day last week) on the same points.
//
// Floors: on hourly series (672 forecasts per series) Holt-Winters must not
// be worse than seasonal-naive MAPE by more than 2% relative, per series,
// and must beat it pooled; interval coverage must be within [0.72, 0.88]
// for 80% and [0.90, 0.985] for 95% per series (a binomial standard error
// is 1.5 and 0.8 points at n=672, so these are over 4 standard errors
// wide, while a miscalibrated interval lands outside). Daily series have 23
// forecasts each, so they are pooled over tenants and metrics (184): HW's
// pooled MAPE must not exceed naive's, and coverage floors are 0.70 and
// 0.85.
func TestForecastBacktest(t *testing.T) {
	tr := generated(t)
	hourly, daily := tr.bucket(time.Hour), tr.bucket(24*time.Hour)
	var hwH, nvH, hwD, nvD pooled
	for _, id := range tr.tenants {
		for _, m := range []struct {
			name string
			h, d []float64
		}{{MetricRevenue, hourly[id].revenue, daily[id].revenue}, {MetricOrders, hourly[id].orders, daily[id].orders}} {
			hw, nv := Backtest(m.h, 168, DefaultHourlyHistory, 2*168)
			t.Logf("%s %-7s hourly  HW MAPE %6.2f%% cov80 %.3f cov95 %.3f | naive MAPE %6.2f%% cov80 %.3f cov95 %.3f (n=%d)",
				id, m.name, hw.MAPE, hw.Coverage80, hw.Coverage95, nv.MAPE, nv.Coverage80, nv.Coverage95, hw.Forecasts)
			if hw.Forecasts < 600 || hw.Forecasts != nv.Forecasts {
				t.Fatalf("%s %s: %d HW and %d naive forecasts, want the same 600+", id, m.name, hw.Forecasts, nv.Forecasts)
			}
			if hw.MAPE > 1.02*nv.MAPE {
				t.Errorf("%s %s hourly: HW MAPE %.2f%% worse than seasonal-naive %.2f%%", id, m.name, hw.MAPE, nv.MAPE)
			}
			if hw.Coverage80 < 0.72 || hw.Coverage80 > 0.88 || hw.Coverage95 < 0.90 || hw.Coverage95 > 0.985 {
				t.Errorf("%s %s hourly: coverage %.3f/%.3f, want ~0.80/0.95", id, m.name, hw.Coverage80, hw.Coverage95)
			}
			hwH.add(hw)
			nvH.add(nv)
			hw, nv = Backtest(m.d, 7, DefaultDailyHistory, 14)
			t.Logf("%s %-7s daily   HW MAPE %6.2f%% cov80 %.3f cov95 %.3f | naive MAPE %6.2f%% cov80 %.3f cov95 %.3f (n=%d)",
				id, m.name, hw.MAPE, hw.Coverage80, hw.Coverage95, nv.MAPE, nv.Coverage80, nv.Coverage95, hw.Forecasts)
			hwD.add(hw)
			nvD.add(nv)
		}
	}
	for _, p := range []struct {
		name       string
		hw, nv     pooled
		c80, c95   float64
		minForcast int
	}{{"hourly", hwH, nvH, 0.72, 0.90, 5000}, {"daily", hwD, nvD, 0.70, 0.85, 150}} {
		t.Logf("pooled %s: HW MAPE %.2f%% cov80 %.3f cov95 %.3f | naive MAPE %.2f%% cov80 %.3f cov95 %.3f (n=%d)",
			p.name, p.hw.mape(), p.hw.cov80(), p.hw.cov95(), p.nv.mape(), p.nv.cov80(), p.nv.cov95(), p.hw.n)
		if p.hw.n < p.minForcast {
			t.Errorf("%s: %d forecasts, want %d+", p.name, p.hw.n, p.minForcast)
		}
		if p.hw.mape() > p.nv.mape() {
			t.Errorf("%s pooled: HW MAPE %.2f%% worse than seasonal-naive %.2f%%", p.name, p.hw.mape(), p.nv.mape())
		}
		if p.hw.cov80() < p.c80 || p.hw.cov95() < p.c95 {
			t.Errorf("%s pooled coverage %.3f/%.3f below floors %.2f/%.2f", p.name, p.hw.cov80(), p.hw.cov95(), p.c80, p.c95)
		}
	}
}

// pooled weights per-series accuracy by forecasts.
type pooled struct {
	n, nPos         int
	ape, in80, in95 float64
}

func (p *pooled) add(a Accuracy) {
	p.n += a.Forecasts
	p.nPos += a.MAPEPoints
	p.ape += a.MAPE * float64(a.MAPEPoints)
	p.in80 += a.Coverage80 * float64(a.Forecasts)
	p.in95 += a.Coverage95 * float64(a.Forecasts)
}

func (p *pooled) mape() float64  { return p.ape / float64(max(p.nPos, 1)) }
func (p *pooled) cov80() float64 { return p.in80 / float64(max(p.n, 1)) }
func (p *pooled) cov95() float64 { return p.in95 / float64(max(p.n, 1)) }
