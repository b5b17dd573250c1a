package analytics

// Metric indexes of a series and their names in insights.
const (
	metricRevenue = iota
	metricOrders
	numMetrics
)

// Metric names.
const (
	MetricRevenue = "revenue"
	MetricOrders  = "orders"
)

var metricNames = [numMetrics]string{MetricRevenue, MetricOrders}

// series is a bounded run of consecutive periods (hours or local days) of
// one (tenant, currency): the newest cap periods, a period without a
// window counting as zero and as unobserved.
type series struct {
	cap   int
	first int64 // period number of vals[*][0]
	vals  [numMetrics][]float64
	seen  []bool
}

// put records the figures of period p. It returns true when p is newer than
// every period seen (the series advanced); a correction of a kept period
// updates it in place and returns false, and a period older than the kept
// ones is dropped.
func (s *series) put(p int64, v [numMetrics]float64) bool {
	n := int64(len(s.seen))
	switch {
	case n > 0 && p < s.first:
		return false
	case n > 0 && p < s.first+n:
		i := p - s.first
		for k := range v {
			s.vals[k][i] = v[k]
		}
		s.seen[i] = true
		return false
	case n == 0 || p-(s.first+n) >= int64(s.cap):
		s.first = p
		for k := range s.vals {
			s.vals[k] = s.vals[k][:0]
		}
		s.seen = s.seen[:0]
	default:
		for range p - (s.first + n) { // gap: periods without a window
			for k := range s.vals {
				s.vals[k] = append(s.vals[k], 0)
			}
			s.seen = append(s.seen, false)
		}
	}
	for k := range v {
		s.vals[k] = append(s.vals[k], v[k])
	}
	s.seen = append(s.seen, true)
	if drop := len(s.seen) - s.cap; drop > 0 {
		// The O(cap) copy per period is cheap next to the forecast's O(cap)
		// run, and keeps each backing array at cap+1.
		for k := range s.vals {
			s.vals[k] = append(s.vals[k][:0], s.vals[k][drop:]...)
		}
		s.seen = append(s.seen[:0], s.seen[drop:]...)
		s.first += int64(drop)
	}
	return true
}

// last is the newest period number; call only on a non-empty series.
func (s *series) last() int64 { return s.first + int64(len(s.seen)) - 1 }

// tail returns the newest n values of metric k (fewer when the series is
// shorter) and how many of them were observed.
func (s *series) tail(k, n int) ([]float64, int) {
	from := max(0, len(s.seen)-n)
	obs := 0
	for _, b := range s.seen[from:] {
		if b {
			obs++
		}
	}
	return s.vals[k][from:], obs
}
