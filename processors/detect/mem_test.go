package detect

import (
	"runtime"
	"testing"
)

// TestMemoryPerSeries measures the heap held by one warmed-up detector and
// checks it stays within the bound doc.go states.
func TestMemoryPerSeries(t *testing.T) {
	const n = 200
	vals := genSeries(3, true, 50, nil, 0).vals[:400]
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ds := make([]*Detector, n)
	for i := range ds {
		ds[i] = mustDetector(t, Config{})
		for j, v := range vals {
			ds[i].Observe(hour(j), v)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("%.0f bytes per series at the default History", per)
	if per > 14<<10 {
		t.Errorf("%.0f bytes per series, doc.go promises at most 14 KiB", per)
	}
	runtime.KeepAlive(ds)
}
