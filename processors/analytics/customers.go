package analytics

import (
	"cmp"
	"slices"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// SegmentChange is one customer's move between segments.
type SegmentChange struct {
	TenantID   string    `json:"tenant_id"`
	CustomerID string    `json:"customer_id"`
	Currency   string    `json:"currency"`
	From       Segment   `json:"from"` // "" when first seen
	To         Segment   `json:"to"`
	Orders     int64     `json:"orders"`
	Spent      int64     `json:"spent"` // minor units
	LastOrder  time.Time `json:"last_order"`
	At         time.Time `json:"at"`
}

// SegmentCounts is a tenant's customers by segment in one currency at a
// sweep: a BigQuery row.
type SegmentCounts struct {
	TenantID string        `json:"tenant_id"`
	Currency string        `json:"currency"`
	Day      events.Window `json:"day"` // the tenant's local day of At
	At       time.Time     `json:"at"`
	// Counts by segment, in Segments order.
	Counts [5]int `json:"counts"`
	Total  int    `json:"total"`
	// VIPSpent is the VIP_Active customers' total spend, minor units;
	// VIPAverageSpend its mean, rounded down.
	VIPSpent        int64 `json:"vip_spent"`
	VIPAverageSpend int64 `json:"vip_average_spend"`
}

// Count returns the number of customers in s.
func (c *SegmentCounts) Count(s Segment) int {
	if i := slices.Index(Segments, s); i >= 0 {
		return c.Counts[i]
	}
	return 0
}

type custKey struct {
	currency string
	id       string
}

// customer is the state of one (currency, customer_id) of a tenant: about
// 100 bytes plus the id.
type customer struct {
	orders int64
	spent  int64 // minor units
	last   int64 // unix ns of the latest completed order; 0 before one
	seg    Segment
	// recent holds hashes of the customer's latest event ids, so a
	// redelivered event is not counted twice.
	recent [4]uint64
	next   uint8
}

func (c *customer) state() CustomerState {
	s := CustomerState{Orders: c.orders, Spent: c.spent}
	if c.last != 0 {
		s.LastOrder = time.Unix(0, c.last).UTC()
	}
	return s
}

// seen records the event id and reports whether it was already recorded.
func (c *customer) seen(eventID string) bool {
	sum := fnv64a(eventID) | 1 // never 0, the empty slot
	if slices.Contains(c.recent[:], sum) {
		return true
	}
	c.recent[c.next] = sum
	c.next = (c.next + 1) % uint8(len(c.recent))
	return false
}

// evict drops the customers with the oldest last order (ties by currency
// and id, for determinism) until n are left, and returns how many it
// dropped.
func evict(m map[custKey]*customer, n int) int {
	if len(m) <= n {
		return 0
	}
	keys := make([]custKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b custKey) int {
		if c := cmp.Compare(m[a].last, m[b].last); c != 0 {
			return c
		}
		if c := cmp.Compare(a.currency, b.currency); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	drop := len(m) - n
	for _, k := range keys[:drop] {
		delete(m, k)
	}
	return drop
}

// fnv64a is FNV-1a over s, as hash/fnv computes it, without the
// allocation of a hash.Hash per order.
func fnv64a(s string) uint64 {
	const offset, prime = 14695981039346656037, 1099511628211
	h := uint64(offset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= prime
	}
	return h
}
