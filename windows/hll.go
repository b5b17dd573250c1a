package windows

import (
	"math"
	"math/bits"
)

// sketch is a dense HyperLogLog: one byte per register.
type sketch [hllM]uint8

// add records hash h: the top hllP bits pick a register, which keeps the
// largest rank (leading zeros + 1) of the remaining bits.
func (r *sketch) add(h uint64) {
	i := h >> (64 - hllP)
	w := h<<hllP | 1<<(hllP-1) // guard bit bounds the rank at 64-hllP+1
	rank := uint8(bits.LeadingZeros64(w) + 1)
	if rank > r[i] {
		r[i] = rank
	}
}

// estimate is Ertl's improved raw estimator ("New cardinality estimation
// algorithms for HyperLogLog sketches", 2017, algorithm 6): unbiased over
// the whole range without empirical bias tables or a linear-counting switch.
func (r *sketch) estimate() float64 {
	const q = 64 - hllP
	var hist [q + 2]int
	for _, v := range r {
		hist[v]++
	}
	m := float64(hllM)
	z := m * hllTau(1-float64(hist[q+1])/m)
	for k := q; k >= 1; k-- {
		z += float64(hist[k])
		z *= 0.5
	}
	z += m * hllSigma(float64(hist[0])/m)
	return m * m / (2 * math.Ln2) / z
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		z += x * y
		y += y
		if z == prev {
			return z
		}
	}
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		z -= (1 - x) * (1 - x) * y
		if z == prev {
			return z / 3
		}
	}
}
