package windows

import (
	"fmt"
	"math"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// Advance moves every tenant's close frontier at processing time now and
// emits, in a deterministic order: first results of the windows the
// watermark (or the idle timeout) closed, then new revisions of windows
// that took late events since the last call. It then evicts state past the
// correction horizon and forgets tenants idle past the dedup horizon with
// nothing left. Call it after each applied batch and on a ticker (idle
// closes need it). A store error stops it; the next call resumes.
func (e *Engine) Advance(now time.Time, emit func(Closed)) error {
	if e.dist != nil {
		return e.advanceRemote(now, emit)
	}
	nowNs := now.UnixNano()
	for i := 0; i < len(e.tenants); {
		tn := e.tenants[i]
		gone, err := e.advanceTenant(tn, nowNs, emit)
		if err != nil {
			return err
		}
		if !gone {
			i++
		}
	}
	return nil
}

// Flush emits every open window (reason flush) and every pending
// correction, for the end of a file or a shutdown. Later events for those
// windows are late. In distributed mode it does nothing: the windows stay
// open in the Remote for whichever replica holds their lease next.
func (e *Engine) Flush(emit func(Closed)) error {
	if e.dist != nil {
		return nil
	}
	for _, tn := range e.tenants {
		for si := range tn.specs {
			ss := &tn.specs[si]
			for n, w := range ss.open {
				if err := e.emitWindow(tn, si, w, 1, ReasonFlush, nil, emit); err != nil {
					ss.open = append(ss.open[:0], ss.open[n:]...)
					return err
				}
				ss.addClosed(w)
				tn.frontier = max(tn.frontier, w.end)
			}
			ss.open = ss.open[:0]
		}
		if err := e.emitCorrections(tn, emit); err != nil {
			return err
		}
	}
	return nil
}

// CloseReady emits the first results of tenant's windows that its
// watermark has passed (evicting what that frees), and nothing else: idle
// closes and corrections wait for Advance. Call it right after applying the
// tenant's events so a window's result does not wait for the next tick. In
// distributed mode it does nothing: closing belongs to the lease holder's
// Advance.
func (e *Engine) CloseReady(tenant string, emit func(Closed)) error {
	if e.dist != nil {
		return nil
	}
	tn := e.byID[tenant]
	if tn == nil || !tn.seen {
		return nil
	}
	wm := tn.maxT - e.ooo
	if wm-e.lateness <= tn.frontier {
		return nil
	}
	return e.closeFrontier(tn, wm, wm, emit)
}

func (e *Engine) advanceTenant(tn *tenant, now int64, emit func(Closed)) (gone bool, err error) {
	e.refreshZone(tn)
	e.observeLag(now, tn.seen, tn.maxT, tn.lastSeen)
	wm := int64(math.MinInt64)
	if tn.seen {
		wm = tn.maxT - e.ooo
	}
	eff := wm
	if now-tn.lastSeen > e.idle {
		eff = max(eff, now-e.ooo)
	}
	if eff != math.MinInt64 && eff-e.lateness > tn.frontier {
		if err := e.closeFrontier(tn, wm, eff, emit); err != nil {
			return false, err
		}
	}
	if err := e.emitCorrections(tn, emit); err != nil {
		return false, err
	}
	if tn.live == 0 && now-tn.lastSeen > e.dedup && e.empty(tn) {
		var none [MaxGrids][]int64
		if err := e.store.Evict(tn.id, &none, math.MaxInt64); err != nil {
			return false, err
		}
		e.removeTenant(tn)
		return true, nil
	}
	return false, nil
}

// closeFrontier emits the windows ending at or before eff-lateness, in
// order, and moves the tenant's frontier there; wm is the watermark that
// tells a watermark close from an idle one.
func (e *Engine) closeFrontier(tn *tenant, wm, eff int64, emit func(Closed)) error {
	f := eff - e.lateness
	byWatermark := wm - e.lateness
	for si := range tn.specs {
		ss := &tn.specs[si]
		n := 0
		for n < len(ss.open) && ss.open[n].end <= f {
			w := ss.open[n]
			reason := ReasonWatermark
			if wm == math.MinInt64 || w.end > byWatermark {
				reason = ReasonIdle
			}
			if err := e.emitWindow(tn, si, w, 1, reason, nil, emit); err != nil {
				ss.open = append(ss.open[:0], ss.open[n:]...)
				return err
			}
			ss.addClosed(w)
			n++
		}
		ss.open = append(ss.open[:0], ss.open[n:]...)
	}
	tn.frontier = f
	if err := e.evict(tn); err != nil {
		return err
	}
	e.seal(tn)
	return nil
}

func (e *Engine) empty(tn *tenant) bool {
	for i := range tn.specs {
		if len(tn.specs[i].open) > 0 || len(tn.specs[i].closed) > 0 {
			return false
		}
	}
	return true
}

func (e *Engine) emitCorrections(tn *tenant, emit func(Closed)) error {
	for si := range tn.specs {
		ss := &tn.specs[si]
		if ss.dirty == 0 {
			continue
		}
		for i := range ss.closed {
			c := &ss.closed[i]
			if !c.dirty {
				continue
			}
			if err := e.emitWindow(tn, si, e.windowAt(tn, si, c.start), int(c.rev)+1, ReasonLate, c.lateCounts(), emit); err != nil {
				return err
			}
			c.rev++
			c.dirty = false
			ss.dirty--
		}
	}
	return nil
}

// evict drops closed windows and panes past the correction horizon.
func (e *Engine) evict(tn *tenant) error {
	tooLate := e.tooLate(tn)
	for si := range tn.specs {
		ss := &tn.specs[si]
		n := 0
		for n < len(ss.closed) && e.endsBy(tn, si, ss.closed[n].start, tooLate) {
			if ss.closed[n].dirty {
				ss.dirty--
			}
			n++
		}
		if n > 0 {
			ss.closed = append(ss.closed[:0], ss.closed[n:]...)
		}
	}
	any := false
	for g := range e.grids {
		pi := &tn.panes[g]
		n := 0
		for n < len(pi.starts) && e.lastEnd(tn, g, pi.starts[n], pi.end(n)) <= tooLate {
			n++
		}
		e.evictBuf[g] = append(e.evictBuf[g][:0], pi.starts[:n]...)
		if n > 0 {
			any = true
			pi.drop(n)
			tn.live -= n
			e.livePanes -= n
		}
	}
	idsBefore := tn.frontier - e.dedup
	if !any && idsBefore < tn.idsEvicted+idBucket {
		return nil // nothing worth a store call yet
	}
	tn.idsEvicted = idsBefore
	if err := e.store.Evict(tn.id, &e.evictBuf, idsBefore); err != nil {
		return fmt.Errorf("evict tenant %q: %w", tn.id, err)
	}
	return nil
}

// seal hands the store the panes whose every window has now emitted: they
// are read again only for corrections (sealed.go).
func (e *Engine) seal(tn *tenant) {
	if e.sealer == nil {
		return
	}
	for g := range e.grids {
		pi := &tn.panes[g]
		from := pi.sealed
		for pi.sealed < len(pi.starts) && e.lastEnd(tn, g, pi.starts[pi.sealed], pi.end(pi.sealed)) <= tn.frontier {
			pi.sealed++
		}
		if pi.sealed > from {
			e.sealer.Seal(tn.id, g, pi.starts[from:pi.sealed])
		}
	}
}

// emitWindow reads the window's panes and emits one record per currency.
func (e *Engine) emitWindow(tn *tenant, si int, w window, rev int, reason Reason, late []lateCount, emit func(Closed)) error {
	sp := &e.specs[si]
	e.starts = tn.panes[sp.grid].within(w.start, w.end, e.starts[:0])
	e.totals.Reset()
	if len(e.starts) > 0 {
		if err := e.store.Read(tn.id, sp.grid, e.starts, &e.totals); err != nil {
			return fmt.Errorf("read tenant %q window %s %s: %w", tn.id, sp.label, time.Unix(0, w.start).UTC().Format(time.RFC3339), err)
		}
	}
	win := events.Window{Start: time.Unix(0, w.start).UTC(), End: time.Unix(0, w.end).UTC(), Size: sp.label}
	for i := range e.totals.Aggs {
		a := &e.totals.Aggs[i]
		m := metricsOf(a)
		for _, l := range late {
			if l.currency == a.Currency {
				m.LateEvents = l.n
			}
		}
		if rev == 1 && reason != ReasonLate {
			e.stats.WindowsClosed++
		} else {
			e.stats.Corrections++
		}
		emit(Closed{TenantID: tn.id, Window: win, Metrics: m, Revision: rev, Reason: reason})
	}
	return nil
}

func metricsOf(a *Aggregate) events.WindowMetrics {
	n, exact := a.Customers.Count()
	return events.WindowMetrics{
		Currency: a.Currency, Orders: a.Orders, CompletedOrders: a.CompletedOrders,
		CancelledOrders: a.CancelledOrders, RefundedOrders: a.RefundedOrders,
		CompletedRevenue: a.CompletedRevenue, RefundedAmount: a.RefundedAmount,
		Revenue:         a.CompletedRevenue - a.RefundedAmount,
		UniqueCustomers: n, UniqueCustomersExact: exact, ItemsSold: a.ItemsSold,
	}
}
