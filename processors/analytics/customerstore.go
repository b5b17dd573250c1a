package analytics

import "time"

// CustomerStore keeps the per-customer state behind the segments: in
// memory (MemoryCustomers, one Engine's own) or shared by every replica
// (package rediscustomers). It decides dedup, applies the figures and
// records each customer's segment, so a move is reported exactly once
// wherever it is found. A store belongs to one Engine goroutine.
type CustomerStore interface {
	// Apply applies the updates in order, each event at most once per
	// customer, and writes each one's outcome to out[i] (len(out) ==
	// len(batch)). An error means the batch may be partly applied;
	// applying it again is safe (dedup by event id).
	Apply(batch []CustomerUpdate, out []CustomerOutcome) error
	// Sweep re-evaluates customers at now with the rules of their tenant
	// and currency, forgets those whose last order is before forgetBefore,
	// and reports what it did to visit: per tenant a pass of VisitStart,
	// VisitCustomer and VisitForgotten visits and VisitEnd. A pass may span
	// calls (an incremental store); the visits of one tenant's pass come in
	// order.
	Sweep(now time.Time, rules func(tenant, currency string) SegmentRules, forgetBefore time.Time, visit func(*SweepVisit)) error
	// ClaimSummary records that the daily summary of the tenant's local
	// day has been published and reports whether it had not been yet.
	ClaimSummary(tenant string, day int64) (bool, error)
}

// CustomerUpdate is one order's effect on its customer: a completed order
// (count, spend, last order) or a refund (spend).
type CustomerUpdate struct {
	Tenant   string
	Currency string
	Customer string
	EventID  string
	Refund   bool
	Amount   int64     // minor units, not negative
	At       time.Time // the order's event time
	// Rules and Digits (the currency's minor digits) classify the
	// customer at Now.
	Rules  SegmentRules
	Digits int
	Now    time.Time
}

// CustomerOutcome is what an update did.
type CustomerOutcome struct {
	// Applied is false for a duplicate and for a refund of a customer the
	// store does not know (nothing is created).
	Applied   bool
	Duplicate bool
	// Before and After are the customer's figures around the update
	// (Before is zero for a new customer).
	Before, After CustomerState
	// From is the segment recorded before the update ("" for a new
	// customer), To the one recorded after: From != To is a move, reported
	// by the one Apply that made it.
	From, To Segment
	// FirstOrder is the tenant's earliest completed order the store knows.
	FirstOrder time.Time
	// Evicted counts customers this update pushed out over the cap.
	Evicted int
}

// VisitKind says what a SweepVisit reports.
type VisitKind uint8

// Visit kinds.
const (
	VisitStart     VisitKind = iota // a pass over the tenant's customers begins
	VisitCustomer                   // one customer, at Now
	VisitForgotten                  // Count customers forgotten
	VisitEnd                        // the pass is complete
)

// SweepVisit is one step of a sweep.
type SweepVisit struct {
	Kind     VisitKind
	Tenant   string
	Currency string
	Customer string
	State    CustomerState
	// From is the segment recorded before the visit, To the one at now; a
	// move (From != To) is reported only by the visit that recorded it.
	From, To Segment
	// Count of forgotten customers (VisitForgotten).
	Count int
	// FirstOrder is the tenant's earliest completed order (VisitEnd).
	FirstOrder time.Time
}
