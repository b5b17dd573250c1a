package analytics

import (
	"cmp"
	"slices"
	"strings"
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
	last   int64 // unix ns of the latest completed order
	seg    Segment
	// recent holds hashes of the customer's latest event ids, so a
	// redelivered event is not counted twice.
	recent [4]uint64
	next   uint8
}

func (c *customer) state() CustomerState {
	if c == nil {
		return CustomerState{}
	}
	return CustomerState{Orders: c.orders, Spent: c.spent, LastOrder: time.Unix(0, c.last).UTC()}
}

// EventHash is the hash by which a customer's latest event ids are
// remembered: FNV-1a 64, never 0 (the empty slot). Every store uses it.
func EventHash(eventID string) uint64 {
	return fnv64a(eventID) | 1 // never 0, the empty slot
}

// seen records the event id and reports whether it was already recorded.
func (c *customer) seen(eventID string) bool {
	sum := EventHash(eventID)
	if slices.Contains(c.recent[:], sum) {
		return true
	}
	c.recent[c.next] = sum
	c.next = (c.next + 1) % uint8(len(c.recent))
	return false
}

// MemoryCustomers is the in-memory CustomerStore: the customers of the
// tenants one Engine sees, at most MaxPerTenant per tenant (past it the
// oldest last orders are evicted, a sixteenth of the cap at a time). A
// Sweep is one whole pass, in tenant, currency and customer id order. Not
// safe for concurrent use.
type MemoryCustomers struct {
	max     int
	tenants map[string]*memTenant
}

type memTenant struct {
	customers  map[custKey]*customer
	first      time.Time // earliest completed order
	summaryDay int64
	summarized bool
}

var _ CustomerStore = (*MemoryCustomers)(nil)

// NewMemoryCustomers returns an empty store keeping at most maxPerTenant
// customers per tenant (DefaultMaxCustomersPerTenant when not positive).
func NewMemoryCustomers(maxPerTenant int) *MemoryCustomers {
	if maxPerTenant <= 0 {
		maxPerTenant = DefaultMaxCustomersPerTenant
	}
	return &MemoryCustomers{max: maxPerTenant, tenants: map[string]*memTenant{}}
}

// Len is the number of customers kept for tenant.
func (m *MemoryCustomers) Len(tenant string) int {
	if mt := m.tenants[tenant]; mt != nil {
		return len(mt.customers)
	}
	return 0
}

// Apply implements CustomerStore.
func (m *MemoryCustomers) Apply(batch []CustomerUpdate, out []CustomerOutcome) error {
	for i := range batch {
		out[i] = m.apply(&batch[i])
	}
	return nil
}

func (m *MemoryCustomers) apply(u *CustomerUpdate) CustomerOutcome {
	mt := m.tenants[u.Tenant]
	if mt == nil {
		if u.Refund {
			return CustomerOutcome{}
		}
		mt = &memTenant{customers: map[custKey]*customer{}}
		// Ids come from decoded payloads, which share one buffer per
		// message: keep copies of their own.
		m.tenants[strings.Clone(u.Tenant)] = mt
	}
	key := custKey{currency: u.Currency, id: u.Customer}
	c := mt.customers[key]
	var r CustomerOutcome
	if c == nil {
		if u.Refund {
			return CustomerOutcome{FirstOrder: mt.first}
		}
		c = &customer{last: u.At.UnixNano()}
		key.id, key.currency = strings.Clone(key.id), strings.Clone(key.currency)
		mt.customers[key] = c
	} else {
		r.Before, r.From = c.state(), c.seg
	}
	if c.seen(u.EventID) {
		return CustomerOutcome{Duplicate: true, FirstOrder: mt.first}
	}
	if u.Refund {
		c.spent -= u.Amount
	} else {
		c.orders++
		c.spent += u.Amount
		c.last = max(c.last, u.At.UnixNano())
		if mt.first.IsZero() || u.At.Before(mt.first) {
			mt.first = u.At
		}
	}
	c.seg = u.Rules.Classify(c.state(), u.Digits, u.Now)
	r.Applied, r.After, r.To, r.FirstOrder = true, c.state(), c.seg, mt.first
	if len(mt.customers) > m.max {
		r.Evicted = evict(mt.customers, m.max-max(m.max/16, 1))
	}
	return r
}

// Sweep implements CustomerStore: one whole pass per tenant.
func (m *MemoryCustomers) Sweep(now time.Time, rules func(tenant, currency string) SegmentRules, forgetBefore time.Time, visit func(*SweepVisit)) error {
	ids := make([]string, 0, len(m.tenants))
	for id := range m.tenants {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	forget := forgetBefore.UnixNano()
	for _, id := range ids {
		mt := m.tenants[id]
		visit(&SweepVisit{Kind: VisitStart, Tenant: id})
		keys := make([]custKey, 0, len(mt.customers))
		for k := range mt.customers {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b custKey) int {
			if c := cmp.Compare(a.currency, b.currency); c != 0 {
				return c
			}
			return cmp.Compare(a.id, b.id)
		})
		forgotten := 0
		for _, k := range keys {
			c := mt.customers[k]
			if c.last < forget {
				delete(mt.customers, k)
				forgotten++
				continue
			}
			digits, _ := events.MinorDigits(k.currency) // validated by the engine before Apply
			v := SweepVisit{Kind: VisitCustomer, Tenant: id, Currency: k.currency, Customer: k.id, State: c.state(), From: c.seg}
			c.seg = rules(id, k.currency).Classify(v.State, digits, now)
			v.To = c.seg
			visit(&v)
		}
		if forgotten > 0 {
			visit(&SweepVisit{Kind: VisitForgotten, Tenant: id, Count: forgotten})
		}
		visit(&SweepVisit{Kind: VisitEnd, Tenant: id, FirstOrder: mt.first})
	}
	return nil
}

// ClaimSummary implements CustomerStore.
func (m *MemoryCustomers) ClaimSummary(tenant string, day int64) (bool, error) {
	mt := m.tenants[tenant]
	if mt == nil || mt.summarized && day <= mt.summaryDay {
		return false, nil
	}
	mt.summarized, mt.summaryDay = true, day
	return true, nil
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
