package recommend

import (
	"math/rand/v2"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/cespare/xxhash/v2"

	"github.com/olympus-cloud/pulse/events"
)

// Model learns item-to-item associations per tenant from completed orders.
// It is not safe for concurrent use: one goroutine owns it (a tenant
// shard's worker). Readers on other goroutines use a Snapshot.
type Model struct {
	cfg     Config
	tenants map[string]*tenant
	stats   Stats
	changed map[string]struct{} // tenants whose counts changed since TakeChanged

	digest xxhash.Digest // the tenants' seeded hash
	hashes []uint64      // scratch for one basket
	names  []string
	order  events.Order // scratch of ObserveBasket
}

// Stats count what Observe did with each event, for logs and metrics.
type Stats struct {
	Completed      int64 // baskets counted
	Duplicates     int64 // completions of an order already remembered: not counted again
	Empty          int64 // completions without items: not counted
	Truncated      int64 // baskets cut to MaxBasket distinct SKUs
	RefundsExact   int64 // refunds undone from the remembered basket
	RefundsApprox  int64 // refunds of forgotten orders undone from the refund's own items
	RefundsIgnored int64 // refunds of forgotten orders without items: nothing to undo
	RefundsNoop    int64 // refunds of lines already refunded
	Ignored        int64 // other event types
}

// tenant is one tenant's bounded state. Its SKUs and orders are keyed by
// a 64-bit hash seeded per tenant, so the state can move to another
// replica's model with its seed (AppendTenant, LoadTenant).
type tenant struct {
	id      string
	seed    uint64
	clock   clock
	baskets float64                  // N, in stored scale
	items   *sketch[uint64, string]  // SKU hash → SKU
	pairs   *sketch[[2]uint64, bool] // ordered hash pair → announced in an insight
	recent  recent
	insight insightState
}

const (
	itemEntrySize = unsafe.Sizeof(entry[uint64, string]{})
	pairEntrySize = unsafe.Sizeof(entry[[2]uint64, bool]{})
)

// New returns a model for cfg (zero fields take defaults), or cfg's
// validation errors.
func New(cfg Config) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Model{cfg: cfg.withDefaults(), tenants: make(map[string]*tenant),
		changed: make(map[string]struct{})}, nil
}

// Config is the model's configuration with defaults filled in.
func (m *Model) Config() Config { return m.cfg }

// Stats returns the running event counts.
func (m *Model) Stats() Stats { return m.stats }

// Tenants lists the tenants with state, sorted.
func (m *Model) Tenants() []string {
	ids := make([]string, 0, len(m.tenants))
	for id := range m.tenants {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// TakeChanged lists, sorted, the tenants whose counts an Observe changed
// since the previous call, and forgets them: the owner republishes just
// their snapshots.
func (m *Model) TakeChanged() []string {
	ids := make([]string, 0, len(m.changed))
	for id := range m.changed {
		ids = append(ids, id)
	}
	clear(m.changed)
	slices.Sort(ids)
	return ids
}

// touch records that t's counts changed. The id is the tenant's own copy,
// so the set holds no decoder memory.
func (m *Model) touch(t *tenant) { m.changed[t.id] = struct{}{} }

// Observe learns from one validated order event: a completion adds its
// basket, a refund removes the refunded lines' contribution, and other
// types are ignored. Cost is O(b²·log k) for a basket of b ≤ MaxBasket
// distinct SKUs and sketch capacity k.
func (m *Model) Observe(o *events.Order) {
	switch o.Type {
	case events.OrderCompleted:
		m.complete(o)
	case events.OrderRefunded:
		m.refund(o)
	default:
		m.stats.Ignored++
	}
}

func (m *Model) tenant(id string) *tenant {
	t := m.tenants[id]
	if t == nil {
		t = m.newTenant(strings.Clone(id), rand.Uint64())
		m.tenants[t.id] = t
	}
	return t
}

func (m *Model) newTenant(id string, seed uint64) *tenant {
	return &tenant{
		id:     id,
		seed:   seed,
		clock:  newClock(m.cfg.HalfLife),
		items:  newSketch[uint64, string](m.cfg.ItemCapacity, hashU64),
		pairs:  newSketch[[2]uint64, bool](m.cfg.PairCapacity, hashPair),
		recent: newRecent(m.cfg.RefundMemory),
	}
}

// hash is s's key in t: xxhash64 seeded with the tenant's seed (random at
// the tenant's start, so nobody can choose SKUs that collide).
func (m *Model) hash(t *tenant, s string) uint64 {
	m.digest.ResetWithSeed(t.seed)
	_, _ = m.digest.WriteString(s) // writing to a digest cannot fail
	return m.digest.Sum64()
}

// basket collects the distinct SKUs of items, in line order, up to limit,
// into m.hashes and m.names, and reports whether it cut any.
func (m *Model) basket(t *tenant, items []events.Item, limit int) (cut bool) {
	m.hashes, m.names = m.hashes[:0], m.names[:0]
	for _, it := range items {
		h := m.hash(t, it.SKU)
		if slices.Contains(m.hashes, h) {
			continue
		}
		if len(m.hashes) == limit {
			return true
		}
		m.hashes = append(m.hashes, h)
		m.names = append(m.names, it.SKU)
	}
	return false
}

func pairKey(a, b uint64) [2]uint64 {
	if a > b {
		a, b = b, a
	}
	return [2]uint64{a, b}
}

func (m *Model) complete(o *events.Order) {
	if len(o.Items) == 0 {
		m.stats.Empty++
		return
	}
	t := m.tenant(o.TenantID)
	order := m.hash(t, o.OrderID)
	if _, ok := t.recent.get(order); ok {
		m.stats.Duplicates++
		return
	}
	if m.basket(t, o.Items, m.cfg.MaxBasket) {
		m.stats.Truncated++
	}
	if f := t.clock.advance(o.OccurredAt); f != 1 {
		t.baskets *= f
		t.items.scale(f)
		t.pairs.scale(f)
	}
	w := t.clock.weight(o.OccurredAt)
	t.baskets += w
	for i, h := range m.hashes {
		if e, fresh := t.items.add(h, w); fresh {
			// The decoder's strings may share the payload's memory: keep a
			// copy of just the SKU.
			e.val = strings.Clone(m.names[i])
		}
		for _, g := range m.hashes[i+1:] {
			t.pairs.add(pairKey(h, g), w)
		}
	}
	t.recent.put(order, o.OccurredAt.UnixNano(), m.hashes)
	m.touch(t)
	m.stats.Completed++
}

func (m *Model) refund(o *events.Order) {
	t := m.tenants[o.TenantID]
	if t == nil {
		m.stats.RefundsIgnored++
		return
	}
	order := m.hash(t, o.OrderID)
	// A refund names no more lines than its order had, but cap the work.
	m.basket(t, o.Items, maxMaxBasket)
	refunded := m.hashes
	if s, ok := t.recent.get(order); ok {
		m.undoRemembered(t, s, refunded)
		return
	}
	if len(refunded) == 0 {
		m.stats.RefundsIgnored++
		return
	}
	// Forgotten order: undo the refund's own lines as if they were the
	// whole basket, at the refund's weight (see doc.go for the error).
	refunded = refunded[:min(len(refunded), m.cfg.MaxBasket)]
	w := t.clock.weight(o.OccurredAt)
	t.baskets = max(t.baskets-w, 0)
	for i, h := range refunded {
		t.items.sub(h, w)
		for _, g := range refunded[i+1:] {
			t.pairs.sub(pairKey(h, g), w)
		}
	}
	t.recent.put(order, o.OccurredAt.UnixNano(), nil) // a redelivered refund is then a no-op
	m.touch(t)
	m.stats.RefundsApprox++
}

// undoRemembered removes the refunded lines of a remembered basket (all of
// it when the refund lists none): their item counts, every pair that has
// one of them, and the basket itself once no line is left.
func (m *Model) undoRemembered(t *tenant, s *recentSlot, refunded []uint64) {
	gone := func(h uint64) bool { return len(refunded) == 0 || slices.Contains(refunded, h) }
	w := t.clock.weight(time.Unix(0, s.at))
	undone := false
	for i, h := range s.items {
		hg := gone(h)
		if hg {
			undone = true
			t.items.sub(h, w)
		}
		for _, g := range s.items[i+1:] {
			if hg || gone(g) {
				t.pairs.sub(pairKey(h, g), w)
			}
		}
	}
	if !undone {
		m.stats.RefundsNoop++
		return
	}
	s.items = slices.DeleteFunc(s.items, gone)
	if len(s.items) == 0 {
		t.baskets = max(t.baskets-w, 0)
	}
	m.touch(t)
	m.stats.RefundsExact++
}
