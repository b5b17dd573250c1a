package recommend

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// ErrInvalidQuery is returned for a query without a SKU or with a limit
// outside 1..MaxLimit.
var ErrInvalidQuery = errors.New("invalid recommendation query")

// ColdStart says why a query has no recommendations. The empty value means
// the result is an answer.
type ColdStart string

// Cold-start reasons. They are part of the API: never rename one.
const (
	ColdTenant ColdStart = "tenant_has_too_few_baskets"
	ColdSKU    ColdStart = "sku_has_too_little_support"
	ColdPairs  ColdStart = "no_pair_has_enough_support"
)

// Result answers "what is bought with SKU". Counts are decayed to At.
type Result struct {
	Tenant   string    `json:"tenant_id"`
	SKU      string    `json:"sku"`
	At       time.Time `json:"at"`
	Baskets  float64   `json:"baskets"`   // decayed completed baskets of the tenant, N
	SKUCount float64   `json:"sku_count"` // decayed baskets with SKU, n(SKU), an upper estimate
	// PairErrorBound is the most any pair count may be over-estimated by
	// the bounded sketch (decayed). Counts below are already lowered by
	// their own error, so they are guaranteed; this is the global bound.
	PairErrorBound float64 `json:"pair_error_bound"`
	// ColdStart is set, with Reason, when there is too little support to
	// recommend anything; Items is then empty.
	ColdStart ColdStart        `json:"cold_start,omitempty"`
	Reason    string           `json:"reason,omitempty"`
	Items     []Recommendation `json:"items"`
}

// Recommendation is one item bought with the queried SKU (a).
type Recommendation struct {
	SKU        string  `json:"sku"`        // b
	Lift       float64 `json:"lift"`       // confidence / (n(b)/N)
	Confidence float64 `json:"confidence"` // n(a,b)/n(a)
	Support    float64 `json:"support"`    // n(a,b)/N
	Count      float64 `json:"count"`      // n(a,b), decayed, a guaranteed lower bound
}

// Snapshot is an immutable view of one tenant's model at one instant, for
// concurrent readers (an HTTP handler): the owner goroutine builds it with
// Model.Snapshot and publishes it, for example through an
// atomic.Pointer[Snapshot]. Building costs O(PairCapacity·log); queries are
// map lookups.
type Snapshot struct {
	tenant     string
	at         time.Time
	baskets    float64
	pairBound  float64
	minBaskets float64
	minItem    float64
	minPair    float64
	halfLife   time.Duration // 0: no decay
	maxLimit   int
	items      map[string]itemStat
	neighbors  map[string][]Recommendation // best first
}

type itemStat struct{ est, low float64 }

// Recommend answers from the live model: the top limit items bought with
// sku in tenant's completed orders, decayed to now. It scans the tenant's
// pairs (O(PairCapacity)); serve many queries from a Snapshot instead.
func (m *Model) Recommend(tenant, sku string, limit int, now time.Time) (Result, error) {
	if err := m.checkQuery(sku, limit); err != nil {
		return Result{}, err
	}
	return m.snapshot(tenant, now, sku).Recommend(sku, limit)
}

// Snapshot builds an immutable view of tenant's model decayed to now.
func (m *Model) Snapshot(tenant string, now time.Time) *Snapshot {
	return m.snapshot(tenant, now, "")
}

func (m *Model) checkQuery(sku string, limit int) error {
	var errs []error
	if sku == "" {
		errs = append(errs, fmt.Errorf("%w: sku is empty", ErrInvalidQuery))
	}
	if limit < 1 || limit > m.cfg.MaxLimit {
		errs = append(errs, fmt.Errorf("%w: limit %d not in 1..%d", ErrInvalidQuery, limit, m.cfg.MaxLimit))
	}
	return errors.Join(errs...)
}

// snapshot builds the view, restricted to pairs with only when it is set.
func (m *Model) snapshot(tenant string, now time.Time, only string) *Snapshot {
	s := &Snapshot{
		tenant: tenant, at: now, minBaskets: m.cfg.MinBaskets, minItem: m.cfg.MinItemCount,
		minPair: m.cfg.MinPairCount, halfLife: max(m.cfg.HalfLife, 0), maxLimit: m.cfg.MaxLimit, items: map[string]itemStat{}, neighbors: map[string][]Recommendation{},
	}
	t := m.tenants[tenant]
	if t == nil {
		return s
	}
	f := t.clock.factor(now)
	s.baskets = t.baskets * f
	s.pairBound = t.pairs.inserted / float64(t.pairs.capacity) * f
	stat := func(e *entry[uint64, string]) itemStat {
		return itemStat{est: e.count * f, low: max(e.count-e.err, 0) * f}
	}
	var onlyHash uint64
	if only != "" {
		onlyHash = m.hash(t, only)
		if e, ok := t.items.get(onlyHash); ok {
			s.items[e.val] = stat(e)
		}
	} else {
		for i := range t.items.entries {
			if e := &t.items.entries[i]; e.count > 0 {
				s.items[e.val] = stat(e)
			}
		}
	}
	t.eachPair(f, m.cfg.MinPairCount, func(p pairStat) {
		if only != "" && p.a != onlyHash && p.b != onlyHash {
			return
		}
		for _, d := range [2]struct {
			from, to *entry[uint64, string]
		}{{p.ea, p.eb}, {p.eb, p.ea}} {
			if only != "" && d.from.key != onlyHash {
				continue
			}
			nFrom, nTo := d.from.count*f, d.to.count*f
			conf := p.count / nFrom
			lift := conf * s.baskets / nTo
			if !(lift > 1) {
				continue
			}
			s.neighbors[d.from.val] = append(s.neighbors[d.from.val], Recommendation{
				SKU: d.to.val, Lift: lift, Confidence: conf, Support: p.count / s.baskets, Count: p.count,
			})
		}
	})
	for _, l := range s.neighbors {
		slices.SortFunc(l, byStrength)
	}
	return s
}

// byStrength orders recommendations by lift, then count, then SKU.
func byStrength(x, y Recommendation) int {
	if c := cmp.Compare(y.Lift, x.Lift); c != 0 {
		return c
	}
	if c := cmp.Compare(y.Count, x.Count); c != 0 {
		return c
	}
	return cmp.Compare(x.SKU, y.SKU)
}

// pairStat is a tracked pair whose two items are tracked too, with its
// guaranteed decayed count.
type pairStat struct {
	a, b   uint64
	ea, eb *entry[uint64, string]
	count  float64
	e      *entry[[2]uint64, bool]
}

// eachPair calls fn for every pair whose guaranteed decayed count (count
// minus its error, times f) is at least minCount and whose items are both
// tracked. A pair whose item was evicted cannot be scored and is skipped.
func (t *tenant) eachPair(f, minCount float64, fn func(pairStat)) {
	for i := range t.pairs.entries {
		e := &t.pairs.entries[i]
		c := max(e.count-e.err, 0) * f
		if c < minCount || c <= 0 {
			continue
		}
		ea, ok := t.items.get(e.key[0])
		if !ok || ea.count <= 0 {
			continue
		}
		eb, ok := t.items.get(e.key[1])
		if !ok || eb.count <= 0 {
			continue
		}
		fn(pairStat{a: e.key[0], b: e.key[1], ea: ea, eb: eb, count: c, e: e})
	}
}

// Tenant and At say what the snapshot is of.
func (s *Snapshot) Tenant() string { return s.tenant }

// At is the instant counts are decayed to.
func (s *Snapshot) At() time.Time { return s.at }

// Recommend returns the top limit items bought with sku, decayed to the
// snapshot's instant, or a cold-start reason when support is too thin to
// say. Safe for concurrent use.
func (s *Snapshot) Recommend(sku string, limit int) (Result, error) {
	return s.RecommendAt(sku, limit, s.at)
}

// RecommendAt is Recommend with the counts decayed on to now (an instant
// before the snapshot's counts as the snapshot's own): exactly what the
// model would answer at now had it seen no order since the snapshot,
// because decay scales every count by one factor. Ratios do not change; a
// pair whose decayed count falls below MinPairCount drops out, and the
// cold-start thresholds apply to the decayed counts. Safe for concurrent
// use.
func (s *Snapshot) RecommendAt(sku string, limit int, now time.Time) (Result, error) {
	if sku == "" || limit < 1 || limit > s.maxLimit {
		return Result{}, fmt.Errorf("%w: sku %q, limit %d not in 1..%d", ErrInvalidQuery, sku, limit, s.maxLimit)
	}
	f := 1.0
	switch {
	case !now.After(s.at):
		now = s.at
	case s.halfLife > 0:
		f = math.Exp2(-float64(now.Sub(s.at)) / float64(s.halfLife))
	}
	baskets := s.baskets * f
	r := Result{Tenant: s.tenant, SKU: sku, At: now, Baskets: baskets, PairErrorBound: s.pairBound * f, Items: []Recommendation{}}
	it := s.items[sku]
	r.SKUCount = it.est * f
	var l []Recommendation
	for _, rec := range s.neighbors[sku] {
		if len(l) == limit {
			break
		}
		if rec.Count*f >= s.minPair {
			rec.Count *= f
			l = append(l, rec)
		}
	}
	switch {
	case baskets < s.minBaskets:
		r.ColdStart = ColdTenant
		r.Reason = fmt.Sprintf("tenant %s has %.1f completed baskets (decayed); recommendations need %g", s.tenant, baskets, s.minBaskets)
	case it.low*f < s.minItem:
		r.ColdStart = ColdSKU
		r.Reason = fmt.Sprintf("SKU %s is in %.1f tracked baskets (decayed); recommendations need %g", sku, it.low*f, s.minItem)
	case len(l) == 0:
		r.ColdStart = ColdPairs
		r.Reason = fmt.Sprintf("no item is bought with SKU %s more often than chance in enough baskets yet", sku)
	default:
		r.Items = l
	}
	return r, nil
}

// MaxLimit is the largest limit a query may ask for.
func (s *Snapshot) MaxLimit() int { return s.maxLimit }
