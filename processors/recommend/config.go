package recommend

import (
	"errors"
	"fmt"
	"time"
	"unsafe"
)

// Defaults. The zero Config means exactly these.
const (
	DefaultHalfLife      = 30 * 24 * time.Hour
	DefaultItemCapacity  = 5_000
	DefaultPairCapacity  = 20_000
	DefaultRefundMemory  = 16_384
	DefaultMaxBasket     = 20
	DefaultMinBaskets    = 30
	DefaultMinItemCount  = 5
	DefaultMinPairCount  = 3
	DefaultMaxLimit      = 100
	DefaultInsightPeriod = 24 * time.Hour
	DefaultInsightPairs  = 5
	DefaultInsightLift   = 2.0

	maxItemCapacity = 1 << 22
	maxPairCapacity = 1 << 24
	maxRefundMemory = 1 << 22
	maxMaxBasket    = 100
)

// Config parameterises a Model. The zero value is the documented default;
// fields left zero take their default.
type Config struct {
	// HalfLife is the recency decay: a basket counts half as much HalfLife
	// after it completed (default 30 days). Negative disables decay.
	HalfLife time.Duration
	// ItemCapacity is how many SKUs each tenant tracks (default 5,000).
	ItemCapacity int
	// PairCapacity is how many SKU pairs each tenant tracks (default 20,000).
	PairCapacity int
	// RefundMemory is how many recent completed orders each tenant remembers
	// for exact refunds and duplicate detection (default 16,384).
	RefundMemory int
	// MaxBasket caps the distinct SKUs taken from one order, in line order
	// (default 20): at most MaxBasket·(MaxBasket-1)/2 pair updates per order.
	MaxBasket int
	// MinBaskets is the decayed basket count below which a tenant is cold
	// (default 30).
	MinBaskets float64
	// MinItemCount is the decayed basket count below which a queried SKU is
	// cold (default 5).
	MinItemCount float64
	// MinPairCount is the guaranteed decayed co-occurrence count below which
	// a pair is not recommended (default 3).
	MinPairCount float64
	// MaxLimit caps the limit of a query (default 100).
	MaxLimit int
	// InsightPeriod is the period of recommendation insights and their
	// window (default 24h).
	InsightPeriod time.Duration
	// InsightPairs is how many new pairs one insight lists at most
	// (default 5).
	InsightPairs int
	// InsightLift is the lift a pair needs to be announced (default 2).
	InsightLift float64
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	setD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	setI := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	setF := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	setD(&c.HalfLife, DefaultHalfLife)
	setI(&c.ItemCapacity, DefaultItemCapacity)
	setI(&c.PairCapacity, DefaultPairCapacity)
	setI(&c.RefundMemory, DefaultRefundMemory)
	setI(&c.MaxBasket, DefaultMaxBasket)
	setF(&c.MinBaskets, DefaultMinBaskets)
	setF(&c.MinItemCount, DefaultMinItemCount)
	setF(&c.MinPairCount, DefaultMinPairCount)
	setI(&c.MaxLimit, DefaultMaxLimit)
	setD(&c.InsightPeriod, DefaultInsightPeriod)
	setI(&c.InsightPairs, DefaultInsightPairs)
	setF(&c.InsightLift, DefaultInsightLift)
	return c
}

// Validate reports every problem with c (after defaults) at once.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	inRange := func(name string, v, lo, hi int) {
		if v < lo || v > hi {
			errs = append(errs, fmt.Errorf("%s %d not in %d..%d", name, v, lo, hi))
		}
	}
	inRange("item capacity", c.ItemCapacity, 2, maxItemCapacity)
	inRange("pair capacity", c.PairCapacity, 1, maxPairCapacity)
	inRange("refund memory", c.RefundMemory, 1, maxRefundMemory)
	inRange("max basket", c.MaxBasket, 2, maxMaxBasket)
	inRange("max limit", c.MaxLimit, 1, 10_000)
	inRange("insight pairs", c.InsightPairs, 1, 100)
	if c.HalfLife > 0 && c.HalfLife < time.Minute {
		errs = append(errs, fmt.Errorf("half-life %s is under a minute", c.HalfLife))
	}
	if c.InsightPeriod < time.Minute {
		errs = append(errs, fmt.Errorf("insight period %s is under a minute", c.InsightPeriod))
	}
	for _, f := range []struct {
		name string
		v    float64
	}{
		{"min baskets", c.MinBaskets}, {"min item count", c.MinItemCount},
		{"min pair count", c.MinPairCount}, {"insight lift", c.InsightLift},
	} {
		if !(f.v > 0 && f.v < 1e12) {
			errs = append(errs, fmt.Errorf("%s %g not in (0, 1e12)", f.name, f.v))
		}
	}
	return errors.Join(errs...)
}

// MemoryBound is the most heap, in bytes, one tenant's model state
// retains once every structure is full, for SKUs of at most skuLen bytes
// (the decoder caps SKUs at 256): the entry arrays and heaps of the two
// summaries (exactly their capacity, see growTo), their fixed-size hash
// tables, one copy of each tracked SKU, and the remembered baskets with at
// most MaxBasket hashes each. It is independent of the catalogue size;
// TestMemoryBound1MSKUs measures a million-SKU tenant against it.
func (c Config) MemoryBound(skuLen int) int64 {
	c = c.withDefaults()
	items := int64(c.ItemCapacity)*(int64(itemEntrySize)+4+int64(roundAlloc(skuLen))) +
		int64(tableSize(c.ItemCapacity))*int64(unsafe.Sizeof(slot[uint64]{}))
	pairs := int64(c.PairCapacity)*(int64(pairEntrySize)+4) +
		int64(tableSize(c.PairCapacity))*int64(unsafe.Sizeof(slot[[2]uint64]{}))
	baskets := int64(c.RefundMemory)*(int64(recentSlotSize)+int64(roundAlloc(8*c.MaxBasket))) +
		int64(tableSize(c.RefundMemory))*int64(unsafe.Sizeof(slot[uint64]{}))
	const tenantOverhead = 1024 // the tenant struct, its map slot and id
	return items + pairs + baskets + tenantOverhead
}

// roundAlloc rounds n up to at least the allocator's size class for n.
func roundAlloc(n int) int {
	switch {
	case n <= 0:
		return 0
	case n <= 16:
		return 16
	case n <= 1024:
		return (n + 63) / 64 * 64
	default:
		return (n + 1023) / 1024 * 1024
	}
}
