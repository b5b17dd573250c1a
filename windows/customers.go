package windows

import (
	"math"
	"slices"
)

// ExactCustomers is how many distinct customers a set counts exactly. Past
// it the set turns into a HyperLogLog sketch of the same size (256 hashes ×
// 8 bytes = 2 KiB = 2048 one-byte registers), so the switch never grows
// memory.
const ExactCustomers = 256

// hllP is the sketch precision: m = 2^11 registers. The relative standard
// error of the estimate is 1.04/sqrt(m) = 2.30%.
const (
	hllP = 11
	hllM = 1 << hllP
)

// HLLRelativeError is the relative standard error of a customer count once
// it is an estimate (UniqueCustomersExact false).
const HLLRelativeError = 1.04 / 45.254833995939045 // 1.04/sqrt(2048) ≈ 0.023

// Customers is a set of customer-id hashes: an exact sorted list up to
// ExactCustomers entries, then a dense HyperLogLog sketch. The zero value is
// an empty set. Hashes must be well mixed (xxhash64), and 0 is never added.
type Customers struct {
	exact []uint64 // sorted; unused once hll != nil
	hll   *sketch
}

// Add adds the hash h.
func (c *Customers) Add(h uint64) {
	if c.hll != nil {
		c.hll.add(h)
		return
	}
	n := len(c.exact)
	// Fast path: orders of the same customer often come in a row.
	if n > 0 && c.exact[n-1] == h {
		return
	}
	i, found := slices.BinarySearch(c.exact, h)
	if found {
		return
	}
	if n >= ExactCustomers {
		c.toSketch()
		c.hll.add(h)
		return
	}
	c.exact = slices.Insert(c.exact, i, h)
}

// Merge adds every member of o.
func (c *Customers) Merge(o *Customers) {
	if o.hll != nil {
		if c.hll == nil {
			c.toSketch()
		}
		for i, r := range o.hll {
			if r > c.hll[i] {
				c.hll[i] = r
			}
		}
		return
	}
	for _, h := range o.exact {
		c.Add(h)
	}
}

// Count returns the number of distinct members and whether it is exact.
func (c *Customers) Count() (n int64, exact bool) {
	if c.hll == nil {
		return int64(len(c.exact)), true
	}
	return int64(math.Round(c.hll.estimate())), false
}

// Reset empties c, keeping its exact buffer and dropping the sketch.
func (c *Customers) Reset() {
	c.exact = c.exact[:0]
	c.hll = nil
}

// Bytes is the heap memory c holds, for the memory accounting.
func (c *Customers) Bytes() int {
	n := cap(c.exact) * 8
	if c.hll != nil {
		n += hllM
	}
	return n
}

func (c *Customers) toSketch() {
	c.hll = new(sketch)
	for _, h := range c.exact {
		c.hll.add(h)
	}
	c.exact = nil
}
