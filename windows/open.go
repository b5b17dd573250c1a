package windows

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// ReasonOpen marks the partial figures of a window still open (OpenWindows).
// No Closed emitted by Advance or Flush carries it.
const ReasonOpen Reason = "open"

// ErrUnknownWindow is returned by OpenWindows for a size the engine does
// not compute.
var ErrUnknownWindow = errors.New("no such window size")

// OpenWindows appends to dst the tenant's open windows of the spec
// labelled size ("1h", "1d", "1h/5m"), oldest first, one Closed per
// currency: Revision 0, Reason ReasonOpen, the figures the close would emit
// if it happened now. Nothing changes: no window closes, no counter moves.
// A tenant without open windows (or unknown) appends nothing.
//
// The figures come from the close path itself (emitWindow, emitRemote), so
// they cannot drift from what the close publishes. In distributed mode the
// windows are those with panes in the Remote ending after the tenant's
// shared frontier; the Remote is read pane by pane while other replicas
// keep applying, so the figures are those of a moment during the read (as
// a close's are), not a snapshot of one instant across panes.
//
// Like every Engine method it runs on the engine's goroutine.
func (e *Engine) OpenWindows(tenant, size string, dst []Closed) ([]Closed, error) {
	si := slices.IndexFunc(e.specs, func(s spec) bool { return s.label == size })
	if si < 0 {
		return dst, fmt.Errorf("open windows %q: %w", size, ErrUnknownWindow)
	}
	collect := func(c Closed) { dst = append(dst, c) }
	// The close path counts what it emits; a look at an open window is not
	// a close, so its counters are put back.
	closed, corrections := e.stats.WindowsClosed, e.stats.Corrections
	defer func() { e.stats.WindowsClosed, e.stats.Corrections = closed, corrections }()
	if e.dist != nil {
		err := e.openRemote(tenant, si, collect)
		return dst, err
	}
	tn := e.byID[tenant]
	if tn == nil {
		return dst, nil
	}
	for _, w := range tn.specs[si].open {
		if err := e.emitWindow(tn, si, w, 0, ReasonOpen, nil, collect); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// openRemote finds the open windows of spec si from the Remote's pane
// registry and the tenant's frontier, and reads each like a close does.
func (e *Engine) openRemote(tenant string, si int, emit func(Closed)) error {
	r := e.dist.cfg.Remote
	var meta [1]TenantMeta
	if err := r.Meta([]string{tenant}, meta[:]); err != nil {
		return fmt.Errorf("open windows of tenant %q: %w", tenant, err)
	}
	m := &meta[0]
	if !m.Known {
		return nil
	}
	// Windows ending at or before the frontier are closed, or being closed
	// by the lease holder between Begin and Commit.
	frontier := max(m.Frontier, m.Committed)
	sp := &e.specs[si]
	span := sp.size
	if sp.Calendar {
		span = int64(25 * time.Hour)
	}
	from := int64(math.MinInt64)
	if frontier > math.MinInt64+span {
		from = frontier - span // an open window starts after it
	}
	panes, err := r.Panes(tenant, sp.grid, from, math.MaxInt64, nil)
	if err != nil {
		return fmt.Errorf("open windows of tenant %q: %w", tenant, err)
	}
	loc := e.zoneFor(tenant)
	var wins []distWin
	for _, p := range panes {
		wins = e.windowsOf(loc, si, p, e.paneEndIn(loc, sp.grid, p), wins)
	}
	wins = sortWins(slices.DeleteFunc(wins, func(w distWin) bool { return w.end <= frontier }))
	var starts []int64
	for _, w := range wins {
		starts = withinSorted(panes, w.start, w.end, starts[:0])
		if err := e.emitRemote(tenant, si, w, starts, 0, ReasonOpen, emit); err != nil {
			return fmt.Errorf("open windows of tenant %q: %w", tenant, err)
		}
	}
	return nil
}
