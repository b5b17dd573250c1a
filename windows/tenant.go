package windows

import (
	"math"
	"slices"
	"strings"
)

// tenant is the engine's time bookkeeping for one tenant; the aggregates
// themselves are in the Store.
type tenant struct {
	id       string
	pos      int // index in Engine.tenants
	zone     Zone
	maxT     int64 // largest event time applied
	seen     bool
	lastSeen int64 // processing time of the last event
	// frontier: every window ending at or before it has been emitted (or
	// had no data). It only grows.
	frontier int64
	// floor: windows ending at or before it are too late even before the
	// first close; set at creation so a tenant that was forgotten cannot
	// reopen windows older than the correction horizon.
	floor            int64
	dayStart, dayEnd int64       // cached calendar day in zone
	panes            []paneIndex // by grid
	live             int         // live panes over all grids
	idsEvicted       int64
	specs            []specState
}

func (e *Engine) newTenant(id string, now int64) *tenant {
	// The id usually points into a decoded payload: keep a copy of its own,
	// not the whole message, for the tenant's lifetime.
	id = strings.Clone(id)
	tn := &tenant{
		id: id, pos: len(e.tenants), zone: e.zoneFor(id), lastSeen: now,
		frontier: math.MinInt64, idsEvicted: math.MinInt64 / 2,
		floor: now - e.ooo - e.lateness - max(e.horizon, 0),
		specs: make([]specState, len(e.specs)),
		panes: make([]paneIndex, len(e.grids)),
	}
	for g := range e.grids {
		if !e.grids[g].calendar {
			tn.panes[g].length = e.grids[g].pane
		}
	}
	e.tenants = append(e.tenants, tn)
	e.byID[id] = tn
	return tn
}

func (e *Engine) removeTenant(tn *tenant) {
	last := e.tenants[len(e.tenants)-1]
	e.tenants[tn.pos] = last
	last.pos = tn.pos
	e.tenants[len(e.tenants)-1] = nil
	e.tenants = e.tenants[:len(e.tenants)-1]
	delete(e.byID, tn.id)
}

// day returns the calendar day of t in the tenant's zone.
func (tn *tenant) day(t int64) (start, end int64) {
	if t >= tn.dayStart && t < tn.dayEnd {
		return tn.dayStart, tn.dayEnd
	}
	start, end = tn.zone.Day(t)
	tn.dayStart, tn.dayEnd = start, end
	return start, end
}

// paneIndex lists a tenant's live panes of one grid, sorted by start.
type paneIndex struct {
	starts []int64
	// ends: a pane's end is start+length, except on the calendar grid
	// (length 0: days of 23 to 25 hours), which keeps its ends here.
	ends   []int64
	length int64
	// sealed: the first sealed panes are past their last window and were
	// handed to the store's Seal; a pane before them that takes a late
	// event lowers it, so the pane is sealed again.
	sealed int
}

func (p *paneIndex) has(start int64) bool {
	n := len(p.starts)
	if n > 0 && p.starts[n-1] == start { // the common case: the newest pane
		return true
	}
	_, ok := slices.BinarySearch(p.starts, start)
	return ok
}

// insert adds the pane and reports whether it was new.
func (p *paneIndex) insert(start, end int64) bool {
	i, ok := slices.BinarySearch(p.starts, start)
	if ok {
		return false
	}
	p.starts = slices.Insert(p.starts, i, start)
	if p.length == 0 {
		p.ends = slices.Insert(p.ends, i, end)
	}
	p.sealed = min(p.sealed, i)
	return true
}

// end returns the end of pane i.
func (p *paneIndex) end(i int) int64 {
	if p.length > 0 {
		return p.starts[i] + p.length
	}
	return p.ends[i]
}

// drop forgets the first n panes.
func (p *paneIndex) drop(n int) {
	p.starts = append(p.starts[:0], p.starts[n:]...)
	if p.length == 0 {
		p.ends = append(p.ends[:0], p.ends[n:]...)
	}
	p.sealed = max(p.sealed-n, 0)
}

// touch notes an event for the live pane at start: a sealed pane is
// unsealed by the store and must be sealed again.
func (p *paneIndex) touch(start int64) {
	if p.sealed == 0 || start > p.starts[p.sealed-1] {
		return // the common case: a pane not sealed yet
	}
	i, _ := slices.BinarySearch(p.starts, start)
	p.sealed = min(p.sealed, i)
}

// within returns the starts of the panes in [from, to), appended to dst.
func (p *paneIndex) within(from, to int64, dst []int64) []int64 {
	i, _ := slices.BinarySearch(p.starts, from)
	for ; i < len(p.starts) && p.starts[i] < to; i++ {
		dst = append(dst, p.starts[i])
	}
	return dst
}

// window is one window of a spec: [start, end).
type window struct{ start, end int64 }

// closedWin is an emitted window still within the correction horizon:
// 24 bytes, as a steady tenant keeps about 1,750 of them (its end follows
// from the spec: Engine.windowAt).
type closedWin struct {
	start int64
	rev   int32
	dirty bool         // took late events since its last revision
	late  *[]lateCount // late events per currency, over all revisions; nil: none
}

// lateCounts returns the late counts (nil for none).
func (c *closedWin) lateCounts() []lateCount {
	if c.late == nil {
		return nil
	}
	return *c.late
}

type lateCount struct {
	currency string
	n        int64
}

// specState is a tenant's windows of one spec.
type specState struct {
	open   []window    // with data, not yet emitted; sorted by start
	closed []closedWin // emitted, sorted by start
	dirty  int
}

func (s *specState) addOpen(start, end int64) {
	n := len(s.open)
	if n > 0 && s.open[n-1].start < start {
		s.open = append(s.open, window{start, end})
		return
	}
	i, ok := slices.BinarySearchFunc(s.open, start, func(w window, t int64) int { return cmp64(w.start, t) })
	if !ok {
		s.open = slices.Insert(s.open, i, window{start, end})
	}
}

func (s *specState) markLate(start int64, currency string) {
	i, ok := slices.BinarySearchFunc(s.closed, start, func(c closedWin, t int64) int { return cmp64(c.start, t) })
	if !ok {
		// No data when it closed: its first revision is this correction.
		s.closed = slices.Insert(s.closed, i, closedWin{start: start})
	}
	c := &s.closed[i]
	if !c.dirty {
		c.dirty = true
		s.dirty++
	}
	if c.late == nil {
		c.late = new([]lateCount)
	}
	late := *c.late
	for j := range late {
		if late[j].currency == currency {
			late[j].n++
			return
		}
	}
	*c.late = append(late, lateCount{strings.Clone(currency), 1})
}

func (s *specState) addClosed(w window) {
	n := len(s.closed)
	if n == 0 || s.closed[n-1].start < w.start {
		s.closed = append(s.closed, closedWin{start: w.start, rev: 1})
		return
	}
	i, ok := slices.BinarySearchFunc(s.closed, w.start, func(c closedWin, t int64) int { return cmp64(c.start, t) })
	if !ok {
		s.closed = slices.Insert(s.closed, i, closedWin{start: w.start, rev: 1})
	}
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
