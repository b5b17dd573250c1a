package windows

import (
	"slices"
	"strings"
)

// MemStore is the in-memory Store: a map of tenants, each with its panes per
// grid and its remembered event keys. Not safe for concurrent use; an engine
// owns it.
type MemStore struct {
	maxIDs  int
	tenants map[string]*memTenant
	free    []*memPane // evicted panes, reused so steady state allocates nothing
	// currencies of packed panes, by index (sealed.go)
	currencies  []string
	currencyIdx map[string]int
}

type memTenant struct {
	ids   idSet
	grids [MaxGrids]memGrid
}

type memGrid struct {
	// panes: the unpacked panes, sorted by start; few (the open ones and
	// late-touched ones) once the engine seals, so a slice beats a map.
	panes []*memPane
	last  *memPane // the pane of the previous event: most events hit it again
	// sealed: panes past their last window, packed (sealed.go); a start
	// is in panes or in sealed, never both. nil until the first seal.
	sealed *sealedPanes
}

type memPane struct {
	start int64
	aggs  []Aggregate
}

// MemStoreConfig sizes a MemStore.
type MemStoreConfig struct {
	// MaxIDsPerTenant caps remembered keys per tenant; past it the oldest
	// hour of keys is forgotten early (counted in ForcedDedupEvictions). Default 2^21.
	MaxIDsPerTenant int
}

// Default MemStore sizes.
const (
	DefaultMaxIDsPerTenant = 1 << 21
)

// NewMemStore returns an empty in-memory store.
func NewMemStore(c MemStoreConfig) *MemStore {
	if c.MaxIDsPerTenant <= 0 {
		c.MaxIDsPerTenant = DefaultMaxIDsPerTenant
	}
	return &MemStore{maxIDs: c.MaxIDsPerTenant, tenants: map[string]*memTenant{}}
}

// Apply implements Store.
func (s *MemStore) Apply(batch []Update, dup []bool) error {
	var t *memTenant
	var tenant string
	for i := range batch {
		u := &batch[i]
		if t == nil || u.Tenant != tenant {
			tenant = u.Tenant
			t = s.tenants[tenant]
			if t == nil {
				t = &memTenant{ids: newIDSet(s.maxIDs)}
				s.tenants[strings.Clone(tenant)] = t // not the payload it came from
			}
		}
		if t.ids.seen(u.EventKey, u.At) {
			dup[i] = true
			continue
		}
		dup[i] = false
		for g := range MaxGrids {
			if u.Grids&(1<<g) == 0 {
				continue
			}
			p := s.pane(&t.grids[g], u.PaneStart[g])
			p.agg(u.Currency).Add(&u.Delta)
		}
	}
	return nil
}

// find returns the index of the pane at start, or where it would go.
func (g *memGrid) find(start int64) (int, bool) {
	n := len(g.panes)
	if n > 0 && g.panes[n-1].start < start {
		return n, false // a new pane: usually the newest
	}
	return slices.BinarySearchFunc(g.panes, start, func(p *memPane, t int64) int { return cmp64(p.start, t) })
}

func (g *memGrid) get(start int64) *memPane {
	if i, ok := g.find(start); ok {
		return g.panes[i]
	}
	return nil
}

func (s *MemStore) pane(g *memGrid, start int64) *memPane {
	if g.last != nil && g.last.start == start {
		return g.last
	}
	i, ok := g.find(start)
	var p *memPane
	if ok {
		p = g.panes[i]
	} else {
		if n := len(s.free); n > 0 {
			p = s.free[n-1]
			s.free = s.free[:n-1]
		} else {
			p = &memPane{}
		}
		p.start = start
		if j, ok := g.sealed.find(start); ok {
			s.unseal(g.sealed, j, p) // a late event for a sealed pane
		}
		g.panes = slices.Insert(g.panes, i, p)
	}
	g.last = p
	return p
}

func (p *memPane) agg(currency string) *Aggregate {
	for i := range p.aggs {
		if p.aggs[i].Currency == currency {
			return &p.aggs[i]
		}
	}
	if len(p.aggs) < cap(p.aggs) {
		p.aggs = p.aggs[:len(p.aggs)+1]
	} else {
		p.aggs = append(p.aggs, Aggregate{})
	}
	a := &p.aggs[len(p.aggs)-1]
	a.reset()
	a.Currency = currency
	return a
}

// Read implements Store.
func (s *MemStore) Read(tenant string, g int, starts []int64, dst *Totals) error {
	t := s.tenants[tenant]
	if t == nil {
		return nil
	}
	gr := &t.grids[g]
	for _, start := range starts {
		if p := gr.get(start); p != nil {
			p.mergeInto(dst)
		} else if i, ok := gr.sealed.find(start); ok {
			s.mergePacked(gr.sealed.bytes(i), dst)
		}
	}
	return nil
}

func (p *memPane) mergeInto(dst *Totals) {
	for i := range p.aggs {
		dst.For(p.aggs[i].Currency).Merge(&p.aggs[i])
	}
}

// Evict implements Store.
func (s *MemStore) Evict(tenant string, panes *[MaxGrids][]int64, idsBefore int64) error {
	t := s.tenants[tenant]
	if t == nil {
		return nil
	}
	empty := true
	for g := range t.grids {
		gr := &t.grids[g]
		packed := 0
		for _, start := range panes[g] {
			i, ok := gr.find(start)
			if !ok {
				packed++
				continue
			}
			p := gr.panes[i]
			gr.panes = slices.Delete(gr.panes, i, i+1)
			if gr.last == p {
				gr.last = nil
			}
			s.release(p)
		}
		if packed > 0 && gr.sealed != nil {
			gr.sealed.removeStarts(panes[g])
			if gr.sealed.len() == 0 {
				gr.sealed = nil
			}
		}
		if len(gr.panes) > 0 || gr.sealed.len() > 0 {
			empty = false
		}
	}
	t.ids.evict(idsBefore)
	if empty && t.ids.len() == 0 {
		delete(s.tenants, tenant)
	}
	return nil
}

const maxFreePanes = 4096

func (s *MemStore) release(p *memPane) {
	if len(s.free) >= maxFreePanes {
		return
	}
	for i := range p.aggs {
		p.aggs[i].reset()
		if cap(p.aggs[i].Customers.exact) > 64 {
			p.aggs[i].Customers.exact = nil // do not pin big buffers in the free list
		}
	}
	p.aggs = p.aggs[:0]
	s.free = append(s.free, p)
}

// MemStoreStats are the store's counters.
type MemStoreStats struct {
	Tenants              int
	Panes                int
	RememberedIDs        int
	ForcedDedupEvictions int64 // generations of event keys dropped early by the cap
}

// Stats counts what the store holds.
func (s *MemStore) Stats() MemStoreStats {
	st := MemStoreStats{Tenants: len(s.tenants)}
	for _, t := range s.tenants {
		for g := range t.grids {
			st.Panes += len(t.grids[g].panes) + t.grids[g].sealed.len()
		}
		st.RememberedIDs += t.ids.len()
		st.ForcedDedupEvictions += t.ids.forced
	}
	return st
}
