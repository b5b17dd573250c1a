package analytics

import (
	"math"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

func TestFitSeasonalTrend(t *testing.T) {
	for _, tc := range []struct {
		name               string
		y                  []float64
		period             int
		tol, alpha         float64
		slope, se, p, mean float64
		dir                Direction
	}{
		// Phases {1, 2} and {3, 5}: x less its phase mean -1 1 -1 1, y less
		// its phase mean -0.5 0.5 -1 1; slope 3/4, residuals ±0.25, SSR
		// 0.25, 1 degree of freedom, SE sqrt(0.25/1/4) = 0.25, t = 3; t(1)
		// is Cauchy: p = 1 - 2/π·atan(3) = 0.2048.
		{"not significant", []float64{1, 3, 2, 5}, 2, 0.1, 0.05, 0.75, 0.25, 1 - 2/math.Pi*math.Atan(3), 2.75, DirectionStable},
		{"significant at 0.25", []float64{1, 3, 2, 5}, 2, 0.1, 0.25, 0.75, 0.25, 1 - 2/math.Pi*math.Atan(3), 2.75, DirectionIncreasing},
		{"beyond significance, within tolerance", []float64{1, 3, 2, 5}, 2, 0.3, 0.25, 0.75, 0.25, 1 - 2/math.Pi*math.Atan(3), 2.75, DirectionStable},
		// y = 2i + {10, 0, 5}[i%3]: the season is taken out exactly, slope
		// 2, no residual: p 0. Mean 10, growth 0.2.
		{"exact line over a season", []float64{10, 2, 9, 16, 8, 15}, 3, 0.1, 0.01, 2, 0, 0, 10, DirectionIncreasing},
		{"falling", []float64{16, 8, 15, 10, 2, 9}, 3, 0.1, 0.01, -2, 0, 0, 10, DirectionDecreasing},
		// A pure season has no trend, however strong the season.
		{"season only", []float64{100, 0, 50, 100, 0, 50, 100, 0, 50}, 3, 0.001, 0.01, 0, 0, 1, 50, DirectionStable},
		// Fewer than two of each phase: no fit.
		{"too short", []float64{1, 2, 3, 4, 5}, 3, 0.001, 0.5, 0, 0, 1, 3, DirectionStable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := FitSeasonalTrend(tc.y, tc.period, tc.tol, tc.alpha)
			near := func(name string, g, w float64) {
				if math.Abs(g-w) > 1e-9 {
					t.Errorf("%s = %.12g, want %.12g", name, g, w)
				}
			}
			near("slope", got.Slope, tc.slope)
			near("slope se", got.SlopeSE, tc.se)
			near("p value", got.PValue, tc.p)
			near("mean", got.Mean, tc.mean)
			if got.Direction != tc.dir || got.Period != tc.period {
				t.Errorf("direction %s period %d, want %s %d", got.Direction, got.Period, tc.dir, tc.period)
			}
		})
	}
	// The daily fit reports its p-value too: the "noisy" case of
	// TestFitTrend has t = 0.8/sqrt(0.18), t² = 32/9, and for 2 degrees of
	// freedom p = 1 - t/sqrt(t²+2) = 1 - sqrt(32/50) = 0.2.
	if p := FitTrend([]float64{2, 4, 3, 5}, 0.01).PValue; math.Abs(p-0.2) > 1e-12 {
		t.Errorf("daily p-value %g, want 0.2", p)
	}
}

// hourlyTrends feeds an hourly series (revenue, orders) to an engine as
// hourly windows and returns the hourly trend insights.
func hourlyTrends(t *testing.T, cfg Config, start time.Time, revenue, orders []float64) []Result {
	t.Helper()
	e := newEngine(t, cfg)
	var out []Result
	for i := range revenue {
		w := hourWindow(start.Add(time.Duration(i) * time.Hour))
		for _, r := range e.ObserveWindow("shop", w, events.WindowMetrics{Currency: "USD", Orders: int64(orders[i]), Revenue: int64(revenue[i])}, w.End) {
			if r.Trend != nil && r.Trend.Size == sizeHour {
				out = append(out, r)
			}
		}
	}
	return out
}

// maxHourlyChangesPerWeek bounds the hourly trend announcements (both
// metrics) per tenant-week of generated traffic with no growth: the first
// announcement of each metric (stable, 0.5 a week over these four weeks)
// and at most one excursion. Before the seasonal fit, significance and
// dwell (a plain 168-hour line), the same traffic gave 25 to 29.
const maxHourlyChangesPerWeek = 1.0

// TestHourlyTrendStationary: generated traffic has daily and weekly
// profiles, noise and anomalies but no growth; hourly trends must not
// flap on it.
func TestHourlyTrendStationary(t *testing.T) {
	tr := generated(t)
	weeks := float64(trafficWeeks - 2) // the first two weeks fill the fit
	var total int
	for _, id := range tr.tenants {
		s := tr.bucket(time.Hour)[id]
		rs := hourlyTrends(t, Config{}, tr.start, s.revenue, s.orders)
		total += len(rs)
		var dirs []string
		for _, r := range rs {
			dirs = append(dirs, r.Trend.Metric+":"+string(r.Trend.Direction)+"@"+r.Insight.Window.End.Sub(tr.start).String())
		}
		rate := float64(len(rs)) / weeks
		t.Logf("%s: %d hourly trend announcements in %.0f weeks (%.2f per week): %v", id, len(rs), weeks, rate, dirs)
		if rate > maxHourlyChangesPerWeek {
			t.Errorf("%s: %.2f hourly trend changes per week, want at most %g", id, rate, maxHourlyChangesPerWeek)
		}
	}
	t.Logf("all tenants: %.2f per tenant-week", float64(total)/weeks/float64(len(tr.tenants)))
}

// TestHourlyTrendRamp plants a growth (or decline) ramp in a tenant's
// generated traffic from the start of week 3: revenue and orders scaled
// by 1 ± g·hours since. The hourly trend announces the right direction
// for both metrics within six days (the fit compares the last week with
// the one before, so it lags), and never the opposite one.
func TestHourlyTrendRamp(t *testing.T) {
	tr := generated(t)
	base := tr.bucket(time.Hour)[tr.tenants[0]]
	ramp := 2 * HourlySeason
	for _, tc := range []struct {
		name string
		g    float64 // per hour
		want Direction
	}{
		{"growth", 0.002, DirectionIncreasing},   // 4.8% a day
		{"decline", -0.001, DirectionDecreasing}, // 2.4% a day
	} {
		t.Run(tc.name, func(t *testing.T) {
			rev := append([]float64(nil), base.revenue...)
			ord := append([]float64(nil), base.orders...)
			for i := ramp; i < len(rev); i++ {
				f := 1 + tc.g*float64(i-ramp)
				rev[i], ord[i] = math.Round(rev[i]*f), math.Round(ord[i]*f)
			}
			rs := hourlyTrends(t, Config{}, tr.start, rev, ord)
			found := map[string]time.Duration{}
			for _, r := range rs {
				at := r.Insight.Window.End.Sub(tr.start) - time.Duration(ramp)*time.Hour
				t.Logf("%s %s at ramp+%s (growth %.4f%%/h, p %.2g)", r.Trend.Metric, r.Trend.Direction, at, 100*r.Trend.Growth, r.Trend.PValue)
				if at <= 0 {
					continue
				}
				switch r.Trend.Direction {
				case tc.want:
					if _, ok := found[r.Trend.Metric]; !ok {
						found[r.Trend.Metric] = at
					}
				case DirectionStable:
				default:
					t.Errorf("%s announced %s during a %s ramp", r.Trend.Metric, r.Trend.Direction, tc.want)
				}
			}
			for _, m := range []string{MetricRevenue, MetricOrders} {
				at, ok := found[m]
				if !ok || at > 6*day {
					t.Errorf("%s: %s announced at ramp+%s (found %v), want within 6 days", m, tc.want, at, ok)
				}
			}
		})
	}
}
