package analytics

import (
	"errors"
	"fmt"
	"time"
)

// Segment is a customer segment, named as in the original platform.
type Segment string

// Segments, in rule precedence order.
const (
	SegmentVIPActive Segment = "VIP_Active"
	SegmentHighValue Segment = "High_Value"
	SegmentAtRisk    Segment = "At_Risk"
	SegmentNew       Segment = "New_Customer"
	SegmentRegular   Segment = "Regular"
)

// Segments lists the segments in precedence order.
var Segments = []Segment{SegmentVIPActive, SegmentHighValue, SegmentAtRisk, SegmentNew, SegmentRegular}

// SegmentRules are the thresholds of the segment rules. Spend thresholds
// are whole major units of the currency (1000 means $1,000.00 in USD and
// ¥1,000 in JPY) and are compared exactly in minor units.
type SegmentRules struct {
	VIPSpend        int64         // spent strictly over it... (default 1000)
	VIPWithin       time.Duration // ...and last order at most this long ago (default 30 days)
	HighValueSpend  int64         // default 500
	HighValueWithin time.Duration // default 60 days
	AtRiskAfter     time.Duration // no order for strictly longer than this (default 90 days)
}

// DefaultSegmentRules are the original platform's thresholds.
var DefaultSegmentRules = SegmentRules{
	VIPSpend: 1000, VIPWithin: 30 * day,
	HighValueSpend: 500, HighValueWithin: 60 * day,
	AtRiskAfter: 90 * day,
}

// maxSpendThreshold keeps threshold × 10^4 (the most minor digits of any
// currency) inside int64.
const maxSpendThreshold = 1e14

func (r SegmentRules) withDefaults(d SegmentRules) SegmentRules {
	if r.VIPSpend == 0 {
		r.VIPSpend = d.VIPSpend
	}
	if r.VIPWithin == 0 {
		r.VIPWithin = d.VIPWithin
	}
	if r.HighValueSpend == 0 {
		r.HighValueSpend = d.HighValueSpend
	}
	if r.HighValueWithin == 0 {
		r.HighValueWithin = d.HighValueWithin
	}
	if r.AtRiskAfter == 0 {
		r.AtRiskAfter = d.AtRiskAfter
	}
	return r
}

func (r SegmentRules) validate() error {
	var errs []error
	for _, s := range []struct {
		name string
		v    int64
	}{{"vip spend", r.VIPSpend}, {"high-value spend", r.HighValueSpend}} {
		if s.v < 0 || s.v > maxSpendThreshold {
			errs = append(errs, fmt.Errorf("%s %d not in 0..%g", s.name, s.v, float64(maxSpendThreshold)))
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"vip within", r.VIPWithin}, {"high-value within", r.HighValueWithin}, {"at-risk after", r.AtRiskAfter}} {
		if d.v <= 0 {
			errs = append(errs, fmt.Errorf("%s %s must be positive", d.name, d.v))
		}
	}
	return errors.Join(errs...)
}

// CustomerState is what Pulse keeps per customer: no personal data, only
// the figures the rules need.
type CustomerState struct {
	// Orders counts completed orders.
	Orders int64
	// Spent is completed amounts minus refunded amounts, in minor units.
	Spent int64
	// LastOrder is the event time of the latest completed order.
	LastOrder time.Time
}

// Classify applies the rules in precedence order, first match wins:
//
//	VIP_Active   Spent > VIPSpend       and now-LastOrder <= VIPWithin
//	High_Value   Spent > HighValueSpend and now-LastOrder <= HighValueWithin
//	At_Risk      now-LastOrder > AtRiskAfter
//	New_Customer Orders == 1
//	Regular      otherwise
//
// Spend thresholds are VIPSpend × 10^digits minor units, compared exactly.
// A last order in the future of now counts as zero days ago.
func (r SegmentRules) Classify(c CustomerState, digits int, now time.Time) Segment {
	scale := pow10(digits)
	age := now.Sub(c.LastOrder)
	switch {
	case c.Spent > r.VIPSpend*scale && age <= r.VIPWithin:
		return SegmentVIPActive
	case c.Spent > r.HighValueSpend*scale && age <= r.HighValueWithin:
		return SegmentHighValue
	case age > r.AtRiskAfter:
		return SegmentAtRisk
	case c.Orders == 1:
		return SegmentNew
	}
	return SegmentRegular
}

func pow10(n int) int64 {
	v := int64(1)
	for range n {
		v *= 10
	}
	return v
}
