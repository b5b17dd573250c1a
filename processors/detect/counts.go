package detect

import (
	"math"

	"gonum.org/v1/gonum/mathext"
)

// maxZ caps scores so tail probabilities that underflow stay finite.
const maxZ = 1000

// minLambda keeps the Poisson test meaningful on a history of zeros: one
// order after a quiet week is not an incident.
const minLambda = 0.25

// zFromTail converts a one-sided tail probability into a standard normal
// score of the given sign (+1 upper tail, -1 lower tail), 0 when the tail is
// not unusual at all.
func zFromTail(p float64, sign float64) float64 {
	if p >= 0.5 {
		return 0
	}
	if p <= 0 {
		return sign * maxZ
	}
	return sign * math.Min(-mathext.NormalQuantile(p), maxZ)
}

// poissonZ scores count x against a Poisson(λ) expectation: the normal score
// of the exact tail probability P(X ≥ x) above the mean or P(X ≤ x) below.
func poissonZ(x, lambda float64) float64 {
	lambda = math.Max(lambda, minLambda)
	x = math.Round(math.Max(x, 0))
	if x > lambda {
		// P(X ≥ x) = P(x, λ), the regularised lower incomplete gamma.
		return zFromTail(mathext.GammaIncReg(x, lambda), 1)
	}
	// P(X ≤ x) = Q(x+1, λ).
	return zFromTail(mathext.GammaIncRegComp(x+1, lambda), -1)
}

// binomialZ scores k successes of n trials against success probability p.
func binomialZ(k, n, p float64) float64 {
	if n <= 0 {
		return 0
	}
	p = math.Min(math.Max(p, 1e-3), 1-1e-3)
	if k > n*p {
		// P(X ≥ k) = I_p(k, n-k+1).
		return zFromTail(mathext.RegIncBeta(k, n-k+1, p), 1)
	}
	if k >= n {
		return 0
	}
	// P(X ≤ k) = I_{1-p}(n-k, k+1).
	return zFromTail(mathext.RegIncBeta(n-k, k+1, 1-p), -1)
}

// boundZ returns the weaker of an empirical and an exact-count score: a
// point is only as anomalous as both tests agree it is. Opposite signs mean
// the tests disagree on the direction, so the point is unremarkable.
func boundZ(emp, count float64) float64 {
	if emp == 0 || count == 0 || (emp > 0) != (count > 0) {
		return 0
	}
	if math.Abs(count) < math.Abs(emp) {
		return count
	}
	return emp
}

// isCount reports whether v is a non-negative integer.
func isCount(v float64) bool { return v >= 0 && v == math.Trunc(v) && v < 1<<53 }
