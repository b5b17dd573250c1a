package detect

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestObserveMean checks the mean-of-draws score: the spread follows the
// window's own count, so a big basket in a quiet hour does not page while
// a price shift that few orders show still does within a few windows.
func TestObserveMean(t *testing.T) {
	// Order values: log-normal, median 25.00, as a shop's baskets.
	draw := func(r *rand.Rand, n int, factor float64) float64 {
		var s float64
		for range n {
			s += factor * 2500 * math.Exp(0.8*r.NormFloat64())
		}
		return math.Round(s / float64(n))
	}
	cases := []struct {
		name      string
		n         int     // orders per window
		factor    float64 // price factor from point 200 on
		wantAlert bool
	}{
		{"3 orders, no change", 3, 1, false},
		{"4 orders, prices x2.5", 4, 2.5, true},
		{"100 orders, prices x1.3", 100, 1.3, true},
		{"100 orders, no change", 100, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDetector(Config{})
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(7, uint64(tc.n)))
			at := qStart
			alerted := false
			for i := range 206 {
				f := 1.0
				if i >= 200 {
					f = tc.factor
				}
				s := d.ObserveMean(at, draw(r, tc.n, f), int64(tc.n))
				if !s.Valid || (i > 0 && s.Method != MethodRobust) {
					t.Fatalf("point %d: valid %v method %s", i, s.Valid, s.Method)
				}
				if i >= 200 && s.Alert {
					alerted = true
				}
				at = at.Add(time.Hour)
			}
			if alerted != tc.wantAlert {
				t.Errorf("alert in the last 6 points: %v, want %v", alerted, tc.wantAlert)
			}
			if s := d.ObserveMean(at, 1, 0); s.Valid {
				t.Error("a mean of no draws must carry no information")
			}
		})
	}
}
