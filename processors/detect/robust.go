package detect

import "math"

// madToSigma turns a median absolute deviation into a standard deviation
// for Gaussian data; meanAbsToSigma does the same for a mean absolute
// deviation (used when more than half the deviations are zero, as in sparse
// counts, where the MAD is 0 but the series is not constant).
const (
	madToSigma     = 1.4826
	meanAbsToSigma = 1.2533
)

// median returns the median of buf, reordering it. buf must not be empty.
func median(buf []float64) float64 {
	n := len(buf)
	k := n / 2
	hi := selectK(buf, k)
	if n%2 == 1 {
		return hi
	}
	// The lower middle is the largest of the elements left of k.
	lo := buf[0]
	for _, v := range buf[1:k] {
		lo = math.Max(lo, v)
	}
	return (lo + hi) / 2
}

// selectK partially orders buf so buf[k] is its k-th smallest element and
// returns it (Hoare's quickselect with median-of-three pivots; deterministic).
func selectK(buf []float64, k int) float64 {
	lo, hi := 0, len(buf)-1
	for hi > lo {
		mid := lo + (hi-lo)/2
		if buf[mid] < buf[lo] {
			buf[mid], buf[lo] = buf[lo], buf[mid]
		}
		if buf[hi] < buf[lo] {
			buf[hi], buf[lo] = buf[lo], buf[hi]
		}
		if buf[hi] < buf[mid] {
			buf[hi], buf[mid] = buf[mid], buf[hi]
		}
		p := buf[mid]
		i, j := lo, hi
		for i <= j {
			for buf[i] < p {
				i++
			}
			for buf[j] > p {
				j--
			}
			if i <= j {
				buf[i], buf[j] = buf[j], buf[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return buf[k]
		}
	}
	return buf[k]
}

// robustCentreSpread returns the median of vals and a robust standard
// deviation: 1.4826·MAD, or 1.2533·mean absolute deviation when that is
// larger (the MAD is 0 on series that are mostly one value). scratch must
// hold len(vals) values.
func robustCentreSpread(vals, scratch []float64) (centre, spread float64) {
	s := scratch[:len(vals)]
	copy(s, vals)
	centre = median(s)
	var sumAbs float64
	for i, v := range vals {
		d := math.Abs(v - centre)
		s[i] = d
		sumAbs += d
	}
	mad := median(s)
	return centre, math.Max(madToSigma*mad, meanAbsToSigma*sumAbs/float64(len(vals)))
}

// weightedSpread is the robust per-draw spread of means vals of weights
// draws around centre: deviations scaled by √weight, as robustCentreSpread.
func weightedSpread(vals, weights []float64, centre float64, scratch []float64) float64 {
	s := scratch[:len(vals)]
	var sumAbs float64
	for i, v := range vals {
		d := math.Abs(v-centre) * math.Sqrt(weights[i])
		s[i] = d
		sumAbs += d
	}
	return math.Max(madToSigma*median(s), meanAbsToSigma*sumAbs/float64(len(vals)))
}

// meanStd returns the mean and sample standard deviation of vals.
func meanStd(vals []float64) (mean, std float64) {
	n := float64(len(vals))
	for _, v := range vals {
		mean += v
	}
	mean /= n
	if len(vals) < 2 {
		return mean, 0
	}
	var ss float64
	for _, v := range vals {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / (n - 1))
}

// ring is a fixed-capacity FIFO of float64 values.
type ring struct {
	buf  []float64
	next int
	full bool
}

func newRing(n int) ring { return ring{buf: make([]float64, n)} }

func (r *ring) push(v float64) {
	r.buf[r.next] = v
	r.next++
	if r.next == len(r.buf) {
		r.next, r.full = 0, true
	}
}

func (r *ring) len() int {
	if r.full {
		return len(r.buf)
	}
	return r.next
}

// values returns the stored values in unspecified order (no copy).
func (r *ring) values() []float64 { return r.buf[:r.len()] }

// shift adds d to every stored value.
func (r *ring) shift(d float64) {
	for i := range r.values() {
		r.buf[i] += d
	}
}
