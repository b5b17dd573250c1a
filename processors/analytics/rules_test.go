package analytics

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestFitTrend(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		y                       []float64
		tol                     float64
		slope, se, mean, growth float64
		dir                     Direction
	}{
		{"rising line", []float64{10, 11, 12, 13, 14}, 0.01, 1, 0, 12, 1.0 / 12, DirectionIncreasing},
		{"falling line", []float64{14, 13, 12, 11, 10}, 0.01, -1, 0, 12, -1.0 / 12, DirectionDecreasing},
		// Sxy = 4, Sxx = 5: slope 0.8, intercept 2.3, residuals -0.3 0.9
		// -0.9 0.3, SSR 1.8, SE sqrt(1.8/2/5).
		{"noisy", []float64{2, 4, 3, 5}, 0.01, 0.8, math.Sqrt(0.18), 3.5, 0.8 / 3.5, DirectionIncreasing},
		{"flat", []float64{7, 7, 7, 7}, 0.01, 0, 0, 7, 0, DirectionStable},
		// Growth exactly at the tolerance is stable.
		{"at tolerance", []float64{99, 100, 101}, 0.01, 1, 0, 100, 0.01, DirectionStable},
		{"just over tolerance", []float64{99, 100, 101}, 0.0099, 1, 0, 100, 0.01, DirectionIncreasing},
		{"all zero", []float64{0, 0, 0}, 0.01, 0, 0, 0, 0, DirectionStable},
		// Net refunds: growth is relative to |mean|.
		{"negative mean", []float64{-12, -11, -10}, 0.01, 1, 0, -11, 1.0 / 11, DirectionIncreasing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := FitTrend(tc.y, tc.tol)
			near := func(name string, g, w float64) {
				if math.Abs(g-w) > 1e-9 {
					t.Errorf("%s = %.12g, want %.12g", name, g, w)
				}
			}
			near("slope", got.Slope, tc.slope)
			near("slope se", got.SlopeSE, tc.se)
			near("mean", got.Mean, tc.mean)
			near("growth", got.Growth, tc.growth)
			if got.Direction != tc.dir || got.Points != len(tc.y) {
				t.Errorf("direction %s points %d, want %s %d", got.Direction, got.Points, tc.dir, len(tc.y))
			}
		})
	}
}

func TestTrendMessage(t *testing.T) {
	for _, tc := range []struct {
		tr   Trend
		want string
	}{
		{Trend{Metric: MetricRevenue, Size: sizeDay, Points: 14, Growth: 0.042, Direction: DirectionIncreasing},
			"Revenue is trending upward: +4.2% per day over the last 14 days."},
		{Trend{Metric: MetricOrders, Size: sizeHour, Points: 168, Growth: -0.0031, Direction: DirectionDecreasing},
			"Orders are trending downward: -0.3% per hour over the last 168 hours."},
		{Trend{Metric: MetricRevenue, Size: sizeDay, Points: 14, Growth: 0.004, Direction: DirectionStable},
			"Revenue is stable: +0.4% per day over the last 14 days."},
	} {
		if got := trendMessage(&tc.tr); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}

// twoWeeks is 14 daily values from a Monday, with per-weekday values by
// time.Weekday for each of the two weeks.
func twoWeeks(w1, w2 [7]float64) ([]float64, []time.Weekday) {
	var v []float64
	var wd []time.Weekday
	for _, w := range [][7]float64{w1, w2} {
		for i := range 7 {
			d := time.Weekday((i + 1) % 7) // Monday first
			v = append(v, w[d])
			wd = append(wd, d)
		}
	}
	return v, wd
}

func TestWeeklyPattern(t *testing.T) {
	//          Sun  Mon  Tue  Wed  Thu  Fri  Sat
	w1 := [7]float64{120, 90, 120, 120, 120, 150, 120}
	w2 := [7]float64{120, 110, 120, 120, 120, 170, 120}
	v, wd := twoWeeks(w1, w2)
	p, ok := WeeklyPatternOf(v, wd, 2, 1.2)
	if !ok {
		t.Fatal("not ok with two of each weekday")
	}
	// Friday (150+170)/2 = 160, Monday (90+110)/2 = 100: ratio 1.6.
	if p.Best != time.Friday || p.Worst != time.Monday || p.Means[time.Friday] != 160 || p.Means[time.Monday] != 100 || p.Ratio != 1.6 || !p.Strong {
		t.Errorf("got best %s worst %s means %v ratio %g strong %v", p.Best, p.Worst, p.Means, p.Ratio, p.Strong)
	}
	p.Metric = MetricRevenue
	if got, want := weeklyMessage(&p), "Strong weekly pattern: Friday is the best performing day, with 1.6 times the revenue of Monday."; got != want {
		t.Errorf("message %q, want %q", got, want)
	}

	// Exactly 1.2 times the worst is not "more than 1.2 times".
	v, wd = twoWeeks([7]float64{110, 100, 110, 110, 110, 120, 110}, [7]float64{110, 100, 110, 110, 110, 120, 110})
	if p, _ := WeeklyPatternOf(v, wd, 2, 1.2); p.Strong || p.Best != time.Friday || p.Worst != time.Monday {
		t.Errorf("best exactly 1.2 × worst: strong %v best %s worst %s", p.Strong, p.Best, p.Worst)
	}
	// Ties go to the earlier weekday, Sunday first.
	v, wd = twoWeeks([7]float64{5, 5, 5, 5, 5, 5, 5}, [7]float64{5, 5, 5, 5, 5, 5, 5})
	if p, _ := WeeklyPatternOf(v, wd, 2, 1.2); p.Best != time.Sunday || p.Worst != time.Sunday || p.Strong || p.Ratio != 1 {
		t.Errorf("flat: best %s worst %s strong %v ratio %g", p.Best, p.Worst, p.Strong, p.Ratio)
	}
	// A weekday seen only once is not enough.
	if _, ok := WeeklyPatternOf(v[:13], wd[:13], 2, 1.2); ok {
		t.Error("ok with one Sunday")
	}
	// A weekday without revenue makes any positive best strong, ratio 0.
	v, wd = twoWeeks([7]float64{0, 5, 5, 5, 5, 5, 5}, [7]float64{0, 5, 5, 5, 5, 5, 5})
	if p, _ := WeeklyPatternOf(v, wd, 2, 1.2); !p.Strong || p.Ratio != 0 || p.Worst != time.Sunday {
		t.Errorf("zero Sunday: strong %v ratio %g worst %s", p.Strong, p.Ratio, p.Worst)
	}
}

func TestDailyPattern(t *testing.T) {
	var v []float64
	var hours []int
	for d := range 2 {
		for h := range 24 {
			x := 10.0
			switch h {
			case 19:
				x = 50
			case 20:
				x = 60
			case 12:
				x = 40
			case 4:
				x = 5
			}
			v = append(v, x+float64(d)) // day 2 is one higher
			hours = append(hours, h)
		}
	}
	p, ok := DailyPatternOf(v, hours, 3, 1.2)
	if !ok {
		t.Fatal("not ok")
	}
	if p.Best != 20 || p.Worst != 4 || p.Means[20] != 60.5 || p.Ratio != 60.5/5.5 || !p.Strong {
		t.Errorf("best %d worst %d mean %g ratio %g strong %v", p.Best, p.Worst, p.Means[20], p.Ratio, p.Strong)
	}
	if len(p.Peak) != 3 || p.Peak[0] != 12 || p.Peak[1] != 19 || p.Peak[2] != 20 {
		t.Errorf("peak %v, want [12 19 20]", p.Peak)
	}
	p.Metric, p.UTCOffset = MetricRevenue, -5*3600
	if got, want := dailyMessage(&p), "Strong daily pattern: revenue peaks at 12:00, 19:00 and 20:00 (UTC-05:00), 11.0 times the quietest hour, 04:00."; got != want {
		t.Errorf("message %q\nwant    %q", got, want)
	}
	if _, ok := DailyPatternOf(v[:23], hours[:23], 3, 1.2); ok {
		t.Error("ok without hour 23")
	}
}

func TestConfidence(t *testing.T) {
	for _, tc := range []struct {
		points int
		comp   float64
		want   float64
	}{
		{30, 1, 1}, {15, 1, 0.5}, {15, 0.5, 0.25}, {60, 0.4, 0.8}, {45, 1, 1},
		{14, 1, 14.0 / 30}, {0, 1, 0}, {30, 0, 0}, {30, 1.5, 1}, {30, math.NaN(), 0},
	} {
		if got := Confidence(tc.points, tc.comp, 30); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Confidence(%d, %g) = %g, want %g", tc.points, tc.comp, got, tc.want)
		}
	}
}

func TestClassify(t *testing.T) {
	now := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	r := DefaultSegmentRules
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	for _, tc := range []struct {
		name   string
		c      CustomerState
		digits int
		want   Segment
	}{
		{"vip: over 1000, exactly 30 days", CustomerState{Orders: 4, Spent: 100001, LastOrder: ago(30 * day)}, 2, SegmentVIPActive},
		{"exactly 1000 is not over", CustomerState{Orders: 4, Spent: 100000, LastOrder: ago(day)}, 2, SegmentHighValue},
		{"vip spend, 30 days and 1ns", CustomerState{Orders: 4, Spent: 100001, LastOrder: ago(30*day + 1)}, 2, SegmentHighValue},
		{"high value: over 500, exactly 60 days", CustomerState{Orders: 2, Spent: 50001, LastOrder: ago(60 * day)}, 2, SegmentHighValue},
		{"exactly 500 is not over", CustomerState{Orders: 2, Spent: 50000, LastOrder: ago(day)}, 2, SegmentRegular},
		{"high-value spend, 60 days and 1ns", CustomerState{Orders: 2, Spent: 50001, LastOrder: ago(60*day + 1)}, 2, SegmentRegular},
		{"exactly 90 days is not at risk", CustomerState{Orders: 1, Spent: 100, LastOrder: ago(90 * day)}, 2, SegmentNew},
		{"at risk beats new", CustomerState{Orders: 1, Spent: 100, LastOrder: ago(90*day + 1)}, 2, SegmentAtRisk},
		{"big spender gone quiet", CustomerState{Orders: 9, Spent: 10_000_000, LastOrder: ago(91 * day)}, 2, SegmentAtRisk},
		{"new: one order", CustomerState{Orders: 1, Spent: 2599, LastOrder: ago(0)}, 2, SegmentNew},
		{"regular: two orders", CustomerState{Orders: 2, Spent: 2599, LastOrder: ago(0)}, 2, SegmentRegular},
		{"one order over 1000 is vip", CustomerState{Orders: 1, Spent: 150000, LastOrder: ago(0)}, 2, SegmentVIPActive},
		{"future last order counts as now", CustomerState{Orders: 1, Spent: 100001, LastOrder: now.Add(time.Hour)}, 2, SegmentVIPActive},
		{"JPY: ¥1001 is over 1000", CustomerState{Orders: 3, Spent: 1001, LastOrder: ago(day)}, 0, SegmentVIPActive},
		{"JPY: ¥1000 is not", CustomerState{Orders: 3, Spent: 1000, LastOrder: ago(day)}, 0, SegmentHighValue},
		{"KWD: 3 digits", CustomerState{Orders: 3, Spent: 1_000_001, LastOrder: ago(day)}, 3, SegmentVIPActive},
		{"refunded down to 1000", CustomerState{Orders: 3, Spent: 150000 - 50000, LastOrder: ago(day)}, 2, SegmentHighValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.Classify(tc.c, tc.digits, now); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestSegmentOverrides(t *testing.T) {
	cfg := Config{SegmentOverrides: map[SegmentScope]SegmentRules{
		{Tenant: "t1"}:                  {VIPSpend: 5000},
		{Tenant: "t1", Currency: "JPY"}: {VIPSpend: 150000, HighValueSpend: 75000},
		{Currency: "EUR"}:               {AtRiskAfter: 30 * day},
	}}.withDefaults()
	for _, tc := range []struct {
		tenant, cur string
		want        SegmentRules
	}{
		{"t1", "USD", SegmentRules{5000, 30 * day, 500, 60 * day, 90 * day}},
		{"t1", "JPY", SegmentRules{150000, 30 * day, 75000, 60 * day, 90 * day}},
		{"t2", "EUR", SegmentRules{1000, 30 * day, 500, 60 * day, 30 * day}},
		{"t1", "EUR", SegmentRules{5000, 30 * day, 500, 60 * day, 90 * day}}, // tenant beats currency
		{"t2", "USD", DefaultSegmentRules},
	} {
		if got := cfg.rules(tc.tenant, tc.cur); got != tc.want {
			t.Errorf("rules(%s, %s) = %+v, want %+v", tc.tenant, tc.cur, got, tc.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	err := Config{
		ConfidencePoints: -1,
		Trend:            TrendConfig{DailyTolerance: 2},
		Pattern:          PatternConfig{Ratio: 0.5},
		Forecast:         ForecastConfig{HourlyHistory: 100},
		Segments:         SegmentRules{VIPSpend: -5},
		Locations:        map[string]*time.Location{"t": nil},
	}.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"confidence points", "tolerances", "pattern ratio", "hourly trend points", "hourly history", "vip spend", "location"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if _, err := New(Config{MaxCustomersPerTenant: -1}); err == nil {
		t.Error("New accepted a bad config")
	}
	// The hourly trend needs two weeks and a significance level; customers
	// must outlive the at-risk horizon (here an override's 120 days) by a day.
	err = Config{
		Trend:                TrendConfig{HourlyPoints: 200, Alpha: 0.9, HourlyDwell: -1},
		ForgetCustomersAfter: 120 * day,
		SegmentOverrides:     map[SegmentScope]SegmentRules{{Tenant: "t"}: {AtRiskAfter: 120 * day}},
	}.Validate()
	for _, want := range []string{"hourly trend points 200", "trend alpha 0.9", "hourly trend dwell -1", "forget customers after 2880h0m0s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if err := (Config{ForgetCustomersAfter: 121 * day, SegmentOverrides: map[SegmentScope]SegmentRules{{Tenant: "t"}: {AtRiskAfter: 120 * day}}}).Validate(); err != nil {
		t.Errorf("a day past the horizon: %v", err)
	}
}

func TestInferOffset(t *testing.T) {
	base := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		start time.Duration
		want  int
	}{
		{0, 0}, {5 * time.Hour, -5 * 3600}, {8 * time.Hour, -8 * 3600}, {12 * time.Hour, -12 * 3600},
		{15 * time.Hour, 9 * 3600}, {23 * time.Hour, 3600}, {18*time.Hour + 30*time.Minute, 5*3600 + 1800},
	} {
		if got := inferOffset(base.Add(tc.start)); got != tc.want {
			t.Errorf("day window starting %s UTC: offset %d, want %d", tc.start, got, tc.want)
		}
	}
}
