package detect

import "math"

// Accumulated evidence. A point test alone misses a sustained shift of a few
// standard deviations whenever single points straddle the threshold, and
// misses an outage of a quiet tenant entirely (one zero where 2.4 orders
// were expected is unremarkable; five in a row are not). The scan keeps the
// last scanMax standardized residuals and, on every point, tests the sums
// over the most recent m points for m in scanWindows:
//
//   - in the data's units the window score is Σz/(c·√(m·g(m))), where g(m)
//     is the variance inflation of a sum of m AR(1) residuals with the
//     series' own lag-one autocorrelation (0 on independent noise; real
//     machine metrics wander, and a wandering residual must not look like
//     a shift), and c calibrates the spread: the observed standard
//     deviation of recent unremarkable z against what a standard normal
//     truncated at Threshold gives. A sum over m points multiplies any
//     error in the spread by √m, so the scan must not trust it blindly;
//   - on counts it is never more extreme than the exact Poisson tail of the
//     window's total against its total expectation (binomial for rates),
//     so overdispersion and small counts are judged by both tests.
//
// The strongest window is Score.Sustained. It alerts at RunCritical (3.5 at
// the default thresholds: a one-sided tail of 2e-4 per window, between a
// confirmed pair and a lone Critical point). Windows stop at 8 points: a
// small misfit b of the baseline grows to b·√m in a window of m, so long
// windows on real data test the model rather than the series (with windows
// to 24, false incidents on 5-minute counts were 2.4 times as many at the
// same recall on our shifts). Each z is clipped at scanClip first: one huge
// spike is the point test's business and must not carry later windows.
// This is a windowed form of the generalised likelihood ratio test for a
// mean shift of unknown size and start (Page's CUSUM with the shift size
// maximised over), O(scanMax) per point and allocation-free.

const (
	scanMax = 8
	// phiMemory is the memory of the autocorrelation estimate, in points.
	phiMemory = 168
	// maxPhi bounds the autocorrelation used, so a random walk still alerts
	// eventually on a large enough run.
	maxPhi = 0.95
	// recentN is how many points Score.Recent averages.
	recentN = 3
)

// scanWindows are the window lengths tested, newest point last.
var scanWindows = [...]int{3, 4, 6, 8}

type scan struct {
	z, x, mu, n [scanMax]float64 // clipped z, value, expectation, trials
	next, len   int

	// lag-one autocorrelation of clipped z on unremarkable points
	phi, szz, sz1, prev float64
	phiN                int
	havePrev            bool
	// truncVar is E[z² | |z| < Threshold] for a standard normal z.
	truncVar float64
}

func newScan(threshold float64) scan {
	t := threshold
	mass := math.Erf(t / math.Sqrt2)
	tv := 1.0
	if mass > 0 {
		tv = 1 - 2*t*math.Exp(-t*t/2)/math.Sqrt(2*math.Pi)/mass
	}
	return scan{truncVar: math.Max(tv, 0.05)}
}

// scale is the calibration c: at least 1 until a few days of points were
// seen, never below 0.85 after (a spread that was too wide is corrected
// only so far), at most 3.
func (s *scan) scale() float64 {
	if s.phiN < 24 {
		return 1
	}
	c := math.Sqrt(s.szz / s.truncVar)
	lo := 1.0
	if s.phiN >= phiMemory/2 {
		lo = 0.85
	}
	return math.Max(lo, math.Min(3, c))
}

func (s *scan) reset() { s.next, s.len, s.havePrev = 0, 0, false }

func (s *scan) push(z, x, mu, trials float64) {
	s.z[s.next], s.x[s.next], s.mu[s.next], s.n[s.next] = z, x, mu, trials
	s.next = (s.next + 1) % scanMax
	s.len = min(s.len+1, scanMax)
}

// learn folds z of an unremarkable point (|z| < Threshold) into the
// autocorrelation and calibration.
func (s *scan) learn(z float64) {
	if s.havePrev {
		s.phiN++
		w := 1 / float64(min(s.phiN, phiMemory))
		s.szz += w * (z*z - s.szz)
		s.sz1 += w * (z*s.prev - s.sz1)
		if s.phiN >= 24 && s.szz > 0 {
			s.phi = math.Max(0, math.Min(maxPhi, s.sz1/s.szz))
		}
	}
	s.prev, s.havePrev = z, true
}

// broken marks a gap in the residual sequence (an anomalous point, a reset).
func (s *scan) broken() { s.havePrev = false }

// sumInflation is Var(Σ of m AR(1) terms)/m for unit-variance terms.
func sumInflation(phi float64, m int) float64 {
	if phi <= 0 {
		return 1
	}
	fm := float64(m)
	return (1+phi)/(1-phi) - 2*phi*(1-math.Pow(phi, fm))/(fm*(1-phi)*(1-phi))
}

// recent is the mean clipped z of the last recentN points.
func (s *scan) recent() float64 {
	k := min(s.len, recentN)
	if k == 0 {
		return 0
	}
	var sum float64
	for i := 1; i <= k; i++ {
		sum += s.z[(s.next-i+scanMax)%scanMax]
	}
	return sum / float64(k)
}

// strongest returns the most extreme window score (signed). mode is
// scanPlain, scanPoisson or scanBinomial.
func (s *scan) strongest(mode int) float64 {
	var sz, sx, smu, sn, best float64
	w, c := 0, s.scale()
	for i := 1; i <= s.len && w < len(scanWindows); i++ {
		j := (s.next - i + scanMax) % scanMax
		sz += s.z[j]
		sx += s.x[j]
		smu += s.mu[j] * math.Max(s.n[j], 1)
		sn += s.n[j]
		if i != scanWindows[w] {
			continue
		}
		w++
		z := sz / (c * math.Sqrt(float64(i)*sumInflation(s.phi, i)))
		if math.Abs(z) <= math.Abs(best) {
			continue
		}
		switch mode {
		case scanPoisson:
			z = boundZ(z, poissonZ(sx, smu))
		case scanBinomial:
			if sn > 0 {
				z = boundZ(z, binomialZ(sx, sn, smu/sn))
			}
		}
		if math.Abs(z) > math.Abs(best) {
			best = z
		}
	}
	return best
}

const (
	scanPlain = iota
	scanPoisson
	scanBinomial
)
