package detect

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func hour(i int) time.Time { return t0.Add(time.Duration(i) * time.Hour) }

// feed observes vals from hour 0 and returns the scores.
func feed(t *testing.T, d *Detector, vals []float64) []Score {
	t.Helper()
	out := make([]Score, len(vals))
	for i, v := range vals {
		out[i] = d.Observe(hour(i), v)
	}
	return out
}

func mustDetector(t testing.TB, cfg Config) *Detector {
	t.Helper()
	d, err := NewDetector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func noise(seed uint64, n int, mean, sd float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 7))
	v := make([]float64, n)
	for i := range v {
		v[i] = mean + sd*r.NormFloat64()
	}
	return v
}

func poissonSeries(seed uint64, n int, lambda float64) []float64 {
	r := rand.New(rand.NewPCG(seed, 9))
	v := make([]float64, n)
	for i := range v {
		v[i] = poissonDraw(r, lambda)
	}
	return v
}

func TestDetectorEdgeCases(t *testing.T) {
	type check func(t *testing.T, s []Score)
	last := func(s []Score) Score { return s[len(s)-1] }
	cases := []struct {
		name string
		cfg  Config
		vals []float64
		want check
	}{
		{
			name: "constant history, same value is not anomalous",
			vals: append(repeat(100, 40), 100),
			want: func(t *testing.T, s []Score) {
				if l := last(s); l.Z != 0 || l.Anomalous || l.Expected != 100 {
					t.Errorf("got z %v anomalous %v expected %v", l.Z, l.Anomalous, l.Expected)
				}
			},
		},
		{
			name: "constant history, tiny move stays under the relative floor",
			vals: append(repeat(100, 40), 100.5),
			want: func(t *testing.T, s []Score) {
				if l := last(s); l.Anomalous || math.IsInf(l.Z, 0) || math.IsNaN(l.Z) {
					t.Errorf("got z %v anomalous %v", l.Z, l.Anomalous)
				}
			},
		},
		{
			name: "constant history, a real jump alerts at once",
			vals: append(repeat(100, 40), 150),
			want: func(t *testing.T, s []Score) {
				if l := last(s); !l.Alert || l.Z <= 0 || l.AnomalyScore() < 0.5 {
					t.Errorf("got alert %v z %v score %v", l.Alert, l.Z, l.AnomalyScore())
				}
			},
		},
		{
			name: "too little history never alerts",
			vals: append(noise(1, 10, 100, 5), 10000),
			want: func(t *testing.T, s []Score) {
				l := last(s)
				if l.Warm || l.Alert || l.AnomalyScore() >= 0.5 {
					t.Errorf("warm %v alert %v score %v", l.Warm, l.Alert, l.AnomalyScore())
				}
				if l.History != 10 {
					t.Errorf("history %d, want 10", l.History)
				}
			},
		},
		{
			name: "single outlier alerts and does not poison the baseline",
			vals: func() []float64 {
				v := noise(2, 80, 100, 5)
				v[60] = 200
				return v
			}(),
			want: func(t *testing.T, s []Score) {
				if !s[60].Alert || s[60].Z < 4 {
					t.Errorf("outlier: alert %v z %v", s[60].Alert, s[60].Z)
				}
				for i := 61; i < len(s); i++ {
					if s[i].Anomalous {
						t.Errorf("point %d after the outlier is anomalous (z %v)", i, s[i].Z)
					}
				}
				if d := math.Abs(s[61].Expected - s[59].Expected); d > 3 {
					t.Errorf("baseline moved by %v after one outlier", d)
				}
				if s[61].Spread > 1.5*s[59].Spread {
					t.Errorf("spread grew from %v to %v after one outlier", s[59].Spread, s[61].Spread)
				}
			},
		},
		{
			name: "level shift alerts, then adapts instead of firing forever",
			vals: func() []float64 {
				v := noise(3, 160, 100, 5)
				for i := 80; i < len(v); i++ {
					v[i] += 60
				}
				return v
			}(),
			want: func(t *testing.T, s []Score) {
				if !s[80].Alert && !s[81].Alert {
					t.Errorf("no alert at the shift: z %v %v", s[80].Z, s[81].Z)
				}
				adapted := -1
				for i := 80; i < len(s); i++ {
					if s[i].Adapted {
						adapted = i
						break
					}
				}
				if adapted < 0 || adapted > 80+DefaultAdaptAfter+2 {
					t.Fatalf("adapted at %d", adapted)
				}
				late := 0
				for i := adapted + 1; i < len(s); i++ {
					if s[i].Alert {
						late++
					}
				}
				if late > 2 {
					t.Errorf("%d alerts after adapting to the new level", late)
				}
			},
		},
		{
			name: "drop alerts with a negative score",
			vals: append(noise(4, 60, 100, 5), 40, 45),
			want: func(t *testing.T, s []Score) {
				if l := last(s); !l.Alert || l.Z >= 0 {
					t.Errorf("alert %v z %v", l.Alert, l.Z)
				}
			},
		},
		{
			name: "rise alerts with a positive score",
			vals: append(noise(4, 60, 100, 5), 160, 155),
			want: func(t *testing.T, s []Score) {
				if l := last(s); !l.Alert || l.Z <= 0 {
					t.Errorf("alert %v z %v", l.Alert, l.Z)
				}
			},
		},
		{
			name: "low counts: 4 orders against about 1 is not an incident",
			cfg:  Config{Counts: true},
			vals: append(poissonSeries(5, 80, 1), 4),
			want: func(t *testing.T, s []Score) {
				if l := last(s); l.Alert {
					t.Errorf("alert on 4 vs λ≈1: z %v method %s", l.Z, l.Method)
				}
			},
		},
		{
			name: "low counts: 15 orders against about 1 is",
			cfg:  Config{Counts: true},
			vals: append(poissonSeries(5, 80, 1), 15),
			want: func(t *testing.T, s []Score) {
				if l := last(s); !l.Alert || l.Z < 4 {
					t.Errorf("no alert on 15 vs λ≈1: z %v", l.Z)
				}
			},
		},
		{
			name: "counts detected from the data: zeros then one order",
			vals: append(repeat(0, 60), 1),
			want: func(t *testing.T, s []Score) {
				if l := last(s); l.Alert {
					t.Errorf("alert on one order after zeros: z %v", l.Z)
				}
			},
		},
		{
			name: "confirmation: one 3σ point is anomalous but does not alert, two do",
			vals: append(noise(6, 60, 100, 5), 113.5, 113.5),
			want: func(t *testing.T, s []Score) {
				a, b := s[len(s)-2], s[len(s)-1]
				if !a.Anomalous || a.Alert || a.AnomalyScore() >= 0.5 {
					t.Errorf("first: anomalous %v alert %v z %v", a.Anomalous, a.Alert, a.Z)
				}
				if !b.Alert || b.AnomalyScore() < 0.5 {
					t.Errorf("second: alert %v evidence %v", b.Alert, b.Evidence)
				}
			},
		},
		{
			name: "confirm 1 alerts on the first point beyond the threshold",
			cfg:  Config{Confirm: 1},
			vals: append(noise(6, 60, 100, 5), 117),
			want: func(t *testing.T, s []Score) {
				if l := last(s); !l.Alert {
					t.Errorf("alert %v z %v", l.Alert, l.Z)
				}
			},
		},
		{
			name: "NaN carries no information and changes nothing",
			vals: append(noise(7, 40, 100, 5), math.NaN(), 100),
			want: func(t *testing.T, s []Score) {
				n := s[len(s)-2]
				if n.Valid || n.AnomalyScore() != 0 {
					t.Errorf("NaN scored: %+v", n)
				}
				if s[len(s)-1].History != 40 {
					t.Errorf("history %d, want 40", s[len(s)-1].History)
				}
			},
		},
	}
	for _, method := range []Method{MethodAuto, MethodZScore, MethodRobust} {
		for _, tc := range cases {
			if method != MethodAuto && (strings.Contains(tc.name, "count") || strings.Contains(tc.name, "NaN")) {
				continue
			}
			t.Run(string(method)+"/"+tc.name, func(t *testing.T) {
				cfg := tc.cfg
				cfg.Method = method
				tc.want(t, feed(t, mustDetector(t, cfg), tc.vals))
			})
		}
	}
}

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func TestDetectorDeterministicAndCausal(t *testing.T) {
	vals := genSeries(11, true, 50, []string{"spike-up", "shift-down"}, 6).vals
	a := feed(t, mustDetector(t, Config{}), vals)
	b := feed(t, mustDetector(t, Config{}), vals)
	prefix := feed(t, mustDetector(t, Config{}), vals[:400])
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("point %d: two runs differ: %+v vs %+v", i, a[i], b[i])
		}
		if i < len(prefix) && a[i] != prefix[i] {
			t.Fatalf("point %d depends on later points", i)
		}
	}
}

func TestRateBoundedByBinomial(t *testing.T) {
	d := mustDetector(t, Config{})
	var s Score
	for i := range 60 {
		s = d.ObserveRate(hour(i), int64(i%10), 100) // about 5% cancelled
	}
	s = d.ObserveRate(hour(60), 1, 2) // 50%, but of two orders
	if s.Alert {
		t.Errorf("1 of 2 cancelled alerted: z %v method %s", s.Z, s.Method)
	}
	s = d.ObserveRate(hour(61), 0, 0)
	if s.Valid {
		t.Error("a rate of no trials must carry no information")
	}
	s = d.ObserveRate(hour(62), 60, 100)
	s = d.ObserveRate(hour(63), 70, 100)
	if !s.Alert || s.Z <= 0 {
		t.Errorf("70%% of 100 cancelled did not alert: z %v", s.Z)
	}
}

func TestSeasonalChosenOnSeasonalData(t *testing.T) {
	d := genSeries(12, true, 200, nil, 0)
	scores := feed(t, mustDetector(t, Config{}), d.vals)
	seasonal := 0
	for _, s := range scores[len(scores)-168:] {
		if s.Method == methodDaily || s.Method == methodWeekly || s.Method == MethodPoisson {
			seasonal++
		}
	}
	if seasonal < 150 {
		t.Errorf("only %d of the last week's points used a seasonal or count baseline", seasonal)
	}
	flat := feed(t, mustDetector(t, Config{}), noise(13, 24*21, 100, 5))
	plain := 0
	for _, s := range flat[len(flat)-168:] {
		if s.Method == MethodRobust {
			plain++
		}
	}
	if plain < 120 {
		t.Errorf("only %d of the last week's points of a flat series used the plain level", plain)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	err := Config{Method: "magic", Threshold: 3, Critical: 2, Recovery: 4, History: 2, Confirm: 99, Warmup: 1}.Validate()
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"method", "critical", "recovery", "history", "confirm", "warmup"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
	if _, err := NewDetector(Config{History: 1}); err == nil {
		t.Error("NewDetector accepted an invalid config")
	}
}

func TestAnomalyScoreMonotone(t *testing.T) {
	prev := -1.0
	for e := 0.0; e < 20; e += 0.25 {
		s := Score{Valid: true, Warm: true, Evidence: e, threshold: 2.5}
		v := s.AnomalyScore()
		if v < prev || v < 0 || v > 1 {
			t.Fatalf("evidence %v: score %v after %v", e, v, prev)
		}
		if (e >= 2.5) != (v >= 0.5) {
			t.Fatalf("evidence %v: score %v on the wrong side of 0.5", e, v)
		}
		prev = v
	}
}

func BenchmarkObserve(b *testing.B) {
	d := mustDetector(b, Config{})
	vals := genSeries(1, true, 200, nil, 0).vals
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		d.Observe(qStart.Add(time.Duration(i)*time.Hour), vals[i%len(vals)])
	}
}
