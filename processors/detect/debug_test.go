package detect

import (
	"testing"
	"time"
)

func TestDebugSeries(t *testing.T) {
	for seed := range 6 {
	d := genSeries(uint64(seed), false, 10000, []string{"shift-up", "shift-down", "spike-up"}, 4)
	det, _ := NewDetector(Config{})
	a := 0
	for i, v := range d.vals {
		at := qStart.Add(time.Duration(i) * time.Hour)
		s := det.Observe(at, v)
		for _, an := range d.anoms { if i >= an.start && i < an.start+2 { a++; m, _ := d.baseline(i)
			t.Logf("%d %s %s v=%.0f true=%.0f exp=%.0f sp=%.0f z=%.2f ev=%.2f %s", i, an.kind, at.Format("Mon 15h"), v, m, s.Expected, s.Spread, s.Z, s.Evidence, s.Method) }}
	}
	}
}
