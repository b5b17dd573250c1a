package windows

import (
	"math"
	"strconv"
	"testing"

	"github.com/cespare/xxhash/v2"
)

func hashOf(s string) uint64 { return xxhash.Sum64String(s) }

func TestCustomersExactWhileSmall(t *testing.T) {
	var c Customers
	for i := range ExactCustomers {
		c.Add(hashOf("c" + strconv.Itoa(i)))
		c.Add(hashOf("c" + strconv.Itoa(i/2))) // repeats
	}
	if n, exact := c.Count(); n != ExactCustomers || !exact {
		t.Fatalf("count %d exact %v", n, exact)
	}
	c.Add(hashOf("one more"))
	if _, exact := c.Count(); exact {
		t.Fatal("still exact past ExactCustomers")
	}
}

// The estimate must stay within 4 standard errors (HLLRelativeError = 2.3%)
// for every tested cardinality and several hash seeds. Inputs are fixed, so
// the test is deterministic; 4σ keeps the bound honest rather than tuned.
func TestCustomersEstimateError(t *testing.T) {
	sizes := []int{300, 1000, 5000, 20000, 100000}
	if testing.Short() {
		sizes = sizes[:3]
	}
	var sumSq float64
	var runs int
	for _, n := range sizes {
		for seed := range 5 {
			var c Customers
			prefix := "s" + strconv.Itoa(seed) + "-"
			for i := range n {
				c.Add(hashOf(prefix + strconv.Itoa(i)))
			}
			got, exact := c.Count()
			rel := (float64(got) - float64(n)) / float64(n)
			if exact || math.Abs(rel) > 4*HLLRelativeError {
				t.Errorf("n=%d seed=%d: estimate %d (%.2f%%), exact=%v", n, seed, got, 100*rel, exact)
			}
			sumSq += rel * rel
			runs++
		}
	}
	// Over all runs the observed RMS error is near the stated one.
	if rms := math.Sqrt(sumSq / float64(runs)); rms > 1.5*HLLRelativeError {
		t.Errorf("rms relative error %.2f%%, stated %.2f%%", 100*rms, 100*HLLRelativeError)
	} else {
		t.Logf("rms relative error %.2f%% over %d runs (stated %.2f%%)", 100*rms, runs, 100*HLLRelativeError)
	}
}

func TestCustomersMerge(t *testing.T) {
	for _, c := range []struct{ a, b, overlap int }{{10, 10, 5}, {200, 200, 50}, {3000, 100, 100}, {5000, 5000, 2500}} {
		var a, b, all Customers
		for i := range c.a {
			a.Add(hashOf("x" + strconv.Itoa(i)))
			all.Add(hashOf("x" + strconv.Itoa(i)))
		}
		for i := c.a - c.overlap; i < c.a-c.overlap+c.b; i++ {
			b.Add(hashOf("x" + strconv.Itoa(i)))
			all.Add(hashOf("x" + strconv.Itoa(i)))
		}
		a.Merge(&b)
		got, gotExact := a.Count()
		want, wantExact := all.Count()
		if got != want || gotExact != wantExact {
			t.Errorf("%+v: merged %d (%v), direct %d (%v)", c, got, gotExact, want, wantExact)
		}
	}
}

func TestCustomersBytes(t *testing.T) {
	var c Customers
	for i := range 100 {
		c.Add(hashOf(strconv.Itoa(i)))
	}
	if b := c.Bytes(); b > 1024 {
		t.Errorf("100 customers hold %d bytes", b)
	}
	for i := range 10000 {
		c.Add(hashOf(strconv.Itoa(i)))
	}
	if b := c.Bytes(); b != hllM {
		t.Errorf("sketch holds %d bytes, want %d", b, hllM)
	}
}

func TestIDSetCapAndEviction(t *testing.T) {
	s := newIDSet(100)
	hour := idBucket
	for i := range 100 {
		if s.seen(uint64(i+1), int64(i%4)*hour) {
			t.Fatalf("key %d seen before it was added", i)
		}
	}
	for i := range 100 {
		if !s.seen(uint64(i+1), int64(i%4)*hour) {
			t.Fatalf("key %d forgotten", i)
		}
	}
	// Past the cap the oldest hour goes, never the memory bound.
	for i := range 50 {
		s.seen(uint64(1000+i), 5*hour)
	}
	if s.len() > 100 || s.forced == 0 {
		t.Fatalf("len %d forced %d", s.len(), s.forced)
	}
	if s.seen(1, 0) {
		t.Fatal("oldest hour kept past the cap")
	}
	if !s.seen(1000, 5*hour) {
		t.Fatal("newest key dropped")
	}
	s.evict(5 * hour)
	if s.len() != 50 {
		t.Fatalf("after evicting hours < 5: %d keys", s.len())
	}
}
