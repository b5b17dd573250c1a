package detect

import (
	"math"
	"testing"

	"github.com/olympus-cloud/pulse/events"
)

func TestAccumulatedEvidence(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		vals []float64
		at   int // first point of the run
		want func(t *testing.T, s []Score, at int)
	}{
		{
			name: "a run of 2σ points, none anomalous alone, alerts within a few points",
			vals: func() []float64 {
				v := noise(21, 200, 100, 5)
				for i := 150; i < 160; i++ {
					v[i] = 100 + 2*5
				}
				return v
			}(),
			at: 150,
			want: func(t *testing.T, s []Score, at int) {
				first := -1
				for i := at; i < at+10; i++ {
					if s[i].Anomalous {
						t.Fatalf("point %d anomalous alone (z %.2f): the case needs moderate points", i, s[i].Z)
					}
					if s[i].Alert && first < 0 {
						first = i
					}
				}
				if first < 0 || first > at+5 {
					t.Fatalf("first alert at %d, want by %d; sustained %v", first, at+5, s[at+5].Sustained)
				}
				if s[first].Sustained <= 0 || s[first].AnomalyScore() < 0.5 {
					t.Errorf("sustained %v score %v", s[first].Sustained, s[first].AnomalyScore())
				}
			},
		},
		{
			name: "quiet tenant outage: zeros where about 3 orders an hour were expected",
			cfg:  Config{Counts: true},
			vals: func() []float64 {
				v := poissonSeries(22, 200, 3)
				for i := 150; i < 160; i++ {
					v[i] = 0
				}
				return v
			}(),
			at: 150,
			want: func(t *testing.T, s []Score, at int) {
				for i := at; i < at+6; i++ {
					if s[i].Alert {
						if s[i].Sustained >= 0 {
							t.Errorf("outage alerted with sustained %v", s[i].Sustained)
						}
						return
					}
				}
				t.Errorf("six zeros against λ≈3 did not alert; sustained %v", s[at+5].Sustained)
			},
		},
		{
			name: "one zero against λ≈3 is not an incident",
			cfg:  Config{Counts: true},
			vals: func() []float64 {
				v := poissonSeries(23, 200, 3)
				v[150] = 0
				return v
			}(),
			at: 150,
			want: func(t *testing.T, s []Score, at int) {
				if s[at].Alert {
					t.Errorf("alert on one zero: z %v sustained %v", s[at].Z, s[at].Sustained)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.want(t, feed(t, mustDetector(t, tc.cfg), tc.vals), tc.at)
		})
	}
}

// TestShiftEndIsAReturn: a temporary shift long enough to be accepted as
// the new level ends; its end must be recognised as a return to the old
// level, not opened as a fresh incident.
func TestShiftEndIsAReturn(t *testing.T) {
	v := noise(24, 300, 100, 5)
	for i := 150; i < 190; i++ {
		v[i] += 40
	}
	d := mustDetector(t, Config{})
	l, err := NewLifecycle(Key{Tenant: "t", Metric: "m"}, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	adapted, returned, opened := -1, -1, 0
	for i, x := range v {
		s := d.Observe(hour(i), x)
		if s.Adapted && adapted < 0 {
			adapted = i
		}
		if s.Returned && returned < 0 {
			returned = i
		}
		if in, ok := l.Step(win(i), s, hour(i+1)); ok && in.Kind == events.KindAnomalyOpened {
			opened++
			if i >= 190 {
				t.Errorf("incident opened at %d, after the shift ended (z %.2f)", i, s.Z)
			}
		}
		if i > 192 && math.Abs(s.Expected-100) > 10 {
			t.Fatalf("point %d: expected %.1f after the return, want about 100", i, s.Expected)
		}
	}
	if adapted < 150 || adapted > 150+DefaultAdaptAfter+2 {
		t.Errorf("adapted at %d", adapted)
	}
	if returned < 190 || returned > 190+DefaultConfirm+1 {
		t.Errorf("return recognised at %d, want just after 190", returned)
	}
	if opened != 1 {
		t.Errorf("%d incidents, want 1", opened)
	}
}
