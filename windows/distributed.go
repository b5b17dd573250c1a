package windows

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/olympus-cloud/pulse/events"
)

// distState is the scratch of an engine in distributed mode. The engine
// keeps no tenant state of its own there: everything is in the Remote.
type distState struct {
	cfg     Distributed
	longest int64 // longest window, ns (calendar days count 25h)

	batch  []RemoteUpdate
	res    []RemoteResult
	plans  []int
	metas  []TenantMeta
	panes  []int64
	starts []int64
	wins   []distWin
	revs   []Revision
	late   []CurrencyCount
	// held are the results of a close step being read: they reach emit
	// once every read succeeded and only while the lease is still held,
	// then Sync, then the fenced commit records them. A failed read
	// publishes nothing it will redo.
	held []Closed
	hold func(Closed)
}

type distWin struct {
	spec       int
	start, end int64
}

func newDistState(cfg Distributed, c *Config) *distState {
	if cfg.Members <= 0 {
		cfg.Members, cfg.Member = 1, 0
	}
	d := &distState{cfg: cfg}
	d.hold = func(c Closed) { d.held = append(d.held, c) }
	for _, w := range c.Windows {
		s := int64(w.Size)
		if w.Calendar {
			s = int64(25 * time.Hour)
		}
		d.longest = max(d.longest, s)
	}
	return d
}

// applyRemote is ApplyBatch in distributed mode: the whole batch is one
// Remote call; lateness and the too-late bound are decided by the Remote
// against the shared frontier, not by this engine.
func (e *Engine) applyRemote(batch []*events.Order, attach [][]byte, now time.Time, out []ApplyResult) error {
	d := e.dist
	nowNs := now.UnixNano()
	floor := nowNs - e.ooo - e.lateness - max(e.horizon, 0)
	d.batch, d.plans = d.batch[:0], d.plans[:0]
	for i, o := range batch {
		out[i] = ApplyResult{}
		if o.Type < events.OrderCreated || o.Type > events.OrderRefunded {
			e.stats.RejectedInvalid++
			out[i].Err = fmt.Errorf("tenant %q event %q: %w %d", o.TenantID, o.EventID, ErrInvalidEvent, o.Type)
			continue
		}
		d.batch = append(d.batch, RemoteUpdate{})
		u := &d.batch[len(d.batch)-1]
		t := o.OccurredAt.UnixNano()
		u.Tenant, u.EventKey, u.At, u.Currency = o.TenantID, xxhash.Sum64String(o.EventID), t, o.Currency
		u.Shard, u.Now, u.Floor = ShardOf(o.TenantID, d.cfg.Shards), nowNs, floor
		loc := e.zoneFor(o.TenantID)
		for g := range e.grids {
			start, end := e.paneIn(loc, g, t)
			u.Grids |= 1 << g
			u.PaneStart[g], u.PaneEnd[g], u.LastEnd[g] = start, end, e.lastEnd(nil, g, start, end)
		}
		setDelta(&u.Delta, o)
		if attach != nil {
			u.Attach = attach[i]
		}
		d.plans = append(d.plans, i)
	}
	if len(d.batch) == 0 {
		return nil
	}
	d.res = slices.Grow(d.res[:0], len(d.batch))[:len(d.batch)]
	if err := d.cfg.Remote.ApplyRemote(d.batch, d.res); err != nil {
		return fmt.Errorf("apply batch of %d: %w", len(d.batch), err)
	}
	for j, i := range d.plans {
		r, res := &d.res[j], &out[i]
		if r.Duplicate {
			res.Duplicate = true
			e.stats.Duplicates++
			continue
		}
		e.stats.Events++
		res.Late, res.Dropped = r.Late, r.Dropped
		if r.Late > 0 {
			e.stats.LateEvents++
		}
		if r.Dropped > 0 {
			e.stats.DroppedLateEvents++
		}
	}
	return nil
}

// advanceRemote is Advance in distributed mode: for every lease shard this
// engine closes and this replica holds, it closes what the shared
// watermarks (or idle timeouts) allow and emits pending corrections.
func (e *Engine) advanceRemote(now time.Time, emit func(Closed)) error {
	d := e.dist
	var errs []error
	for s := range d.cfg.Shards {
		if s%d.cfg.Members != d.cfg.Member {
			continue
		}
		token, ok := d.cfg.Leases.Owned(s)
		if !ok {
			continue
		}
		if err := e.advanceShard(s, token, now.UnixNano(), emit); err != nil {
			errs = append(errs, fmt.Errorf("lease shard %d: %w", s, err))
		}
	}
	return errors.Join(errs...)
}

func (e *Engine) advanceShard(shard int, token string, now int64, emit func(Closed)) error {
	r := e.dist.cfg.Remote
	tenants, err := r.Tenants(shard)
	if err != nil || len(tenants) == 0 {
		return err
	}
	slices.Sort(tenants)
	metas := slices.Grow(e.dist.metas[:0], len(tenants))[:len(tenants)]
	e.dist.metas = metas
	if err := r.Meta(tenants, metas); err != nil {
		return err
	}
	var errs []error
	for i, id := range tenants {
		if err := e.advanceRemoteTenant(shard, token, id, &metas[i], now, emit); err != nil {
			if errors.Is(err, ErrFenced) {
				return err // the shard is someone else's now
			}
			errs = append(errs, fmt.Errorf("tenant %q: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

func (e *Engine) tooLateAt(frontier, floor int64) int64 {
	if frontier == math.MinInt64 {
		return floor
	}
	return max(frontier-max(e.horizon, 0), floor)
}

func (e *Engine) advanceRemoteTenant(shard int, token, id string, m *TenantMeta, now int64, emit func(Closed)) error {
	d := e.dist
	r := d.cfg.Remote
	d.held = d.held[:0] // what a failed step held was never published: it is redone
	if !m.Known {
		// Its state expired: drop the shard membership left behind.
		return r.Forget(token, shard, id, math.MinInt64)
	}
	e.observeLag(now, m.Seen, m.MaxT, m.LastSeen)
	wm := int64(math.MinInt64)
	if m.Seen {
		wm = m.MaxT - e.ooo
	}
	eff := wm
	if now-m.LastSeen > e.idle {
		eff = max(eff, now-e.ooo)
	}
	target := m.Frontier
	if eff != math.MinInt64 {
		target = max(target, eff-e.lateness)
	}
	loc := e.zoneFor(id)
	if target > m.Committed {
		tl := e.tooLateAt(target, m.Floor)
		if target > m.Frontier {
			if err := r.Begin(token, shard, id, target, tl); err != nil {
				return err
			}
		}
		c := Commit{Frontier: target, TooLate: tl, IDsBefore: target - e.dedup}
		from := int64(math.MinInt64)
		if m.Committed != math.MinInt64 {
			from = m.Committed - d.longest
		}
		byWatermark := wm - e.lateness
		for g := range e.grids {
			panes, err := r.Panes(id, g, from, target, d.panes[:0])
			if err != nil {
				return err
			}
			d.panes = panes
			for _, si := range e.grids[g].specs {
				d.wins = d.wins[:0]
				for _, p := range panes {
					d.wins = e.windowsOf(loc, si, p, e.paneEndIn(loc, g, p), d.wins)
				}
				d.wins = slices.DeleteFunc(d.wins, func(w distWin) bool { return w.end <= m.Committed || w.end > target })
				d.wins = sortWins(d.wins)
				for _, w := range d.wins {
					reason := ReasonWatermark
					if wm == math.MinInt64 || w.end > byWatermark {
						reason = ReasonIdle
					}
					d.starts = withinSorted(panes, w.start, w.end, d.starts[:0])
					if err := e.emitRemote(id, si, w, d.starts, 1, reason, d.hold); err != nil {
						return err
					}
					c.Revisions = append(c.Revisions, Revision{Spec: si, Start: w.start, End: w.end, Rev: 1})
				}
			}
			old, err := r.Panes(id, g, math.MinInt64, tl, d.panes[:0])
			if err != nil {
				return err
			}
			d.panes = old
			for _, p := range old {
				if e.lastEnd(nil, g, p, e.paneEndIn(loc, g, p)) <= tl {
					c.EvictPanes[g] = append(c.EvictPanes[g], p)
				}
			}
		}
		if err := e.release(shard, token, id, emit); err != nil {
			return err
		}
		if err := r.Commit(token, shard, id, &c); err != nil {
			return err
		}
	}
	if len(m.Dirty) > 0 {
		if err := e.correctRemote(shard, token, id, m, max(target, m.Frontier), emit); err != nil {
			return err
		}
	}
	if now-m.LastSeen > e.dedup && len(m.Dirty) == 0 {
		return r.Forget(token, shard, id, m.LastSeen)
	}
	return nil
}

// correctRemote emits a new revision of every window a dirty pane owes one
// to, then consumes the dirty marks.
func (e *Engine) correctRemote(shard int, token, id string, m *TenantMeta, frontier int64, emit func(Closed)) error {
	d := e.dist
	r := d.cfg.Remote
	d.held = d.held[:0]
	loc := e.zoneFor(id)
	tl := e.tooLateAt(frontier, m.Floor)
	d.wins = d.wins[:0]
	for _, x := range m.Dirty {
		if x.Grid >= len(e.grids) {
			continue
		}
		for _, si := range e.grids[x.Grid].specs {
			n := len(d.wins)
			d.wins = e.windowsOf(loc, si, x.Start, e.paneEndIn(loc, x.Grid, x.Start), d.wins)
			d.wins = append(d.wins[:n], slices.DeleteFunc(d.wins[n:], func(w distWin) bool { return w.end > x.Frontier || w.end <= tl })...)
		}
	}
	d.wins = sortWins(d.wins)
	d.revs = d.revs[:0]
	for _, w := range d.wins {
		d.revs = append(d.revs, Revision{Spec: w.spec, Start: w.start, End: w.end})
	}
	if len(d.revs) > 0 {
		if err := r.Revisions(id, d.revs); err != nil {
			return err
		}
	}
	for i := range d.revs {
		rv := &d.revs[i]
		w := distWin{rv.Spec, rv.Start, rv.End}
		starts, err := r.Panes(id, e.specs[rv.Spec].grid, w.start, w.end, d.starts[:0])
		if err != nil {
			return err
		}
		d.starts = starts
		rv.Rev++
		if err := e.emitRemote(id, rv.Spec, w, starts, rv.Rev, ReasonLate, d.hold); err != nil {
			return err
		}
	}
	c := Commit{Frontier: math.MinInt64, Revisions: d.revs, Dirty: m.Dirty, TooLate: math.MinInt64, IDsBefore: math.MinInt64}
	if err := e.release(shard, token, id, emit); err != nil {
		return err
	}
	return r.Commit(token, shard, id, &c)
}

// release hands a close step's results to emit, in order, counts them and
// waits for Sync, unless the lease has lapsed meanwhile: then the results
// are dropped for the next holder to publish.
func (e *Engine) release(shard int, token, id string, emit func(Closed)) error {
	d := e.dist
	if t, ok := d.cfg.Leases.Owned(shard); !ok || t != token {
		d.held = d.held[:0]
		return fmt.Errorf("lease shard %d lapsed before its results were published: %w", shard, ErrFenced)
	}
	for _, c := range d.held {
		if c.Revision == 1 && c.Reason != ReasonLate {
			e.stats.WindowsClosed++
		} else {
			e.stats.Corrections++
		}
		emit(c)
	}
	n := len(d.held)
	clear(d.held)
	d.held = d.held[:0]
	if n > 0 && d.cfg.Sync != nil {
		if err := d.cfg.Sync(id); err != nil {
			return fmt.Errorf("results of tenant %q not published: %w", id, err)
		}
	}
	return nil
}

// emitRemote reads a window's panes and emits one record per currency;
// corrections carry the late events the window took since it closed.
func (e *Engine) emitRemote(id string, si int, w distWin, starts []int64, rev int, reason Reason, emit func(Closed)) error {
	d := e.dist
	sp := &e.specs[si]
	e.totals.Reset()
	d.late = d.late[:0]
	lateFrom := int64(math.MaxInt64)
	if reason == ReasonLate {
		lateFrom = w.end
	}
	if len(starts) > 0 {
		if err := d.cfg.Remote.ReadWindow(id, sp.grid, starts, lateFrom, &e.totals, &d.late); err != nil {
			return fmt.Errorf("read window %s %s: %w", sp.label, time.Unix(0, w.start).UTC().Format(time.RFC3339), err)
		}
	}
	win := events.Window{Start: time.Unix(0, w.start).UTC(), End: time.Unix(0, w.end).UTC(), Size: sp.label}
	for i := range e.totals.Aggs {
		a := &e.totals.Aggs[i]
		m := metricsOf(a)
		for _, l := range d.late {
			if l.Currency == a.Currency {
				m.LateEvents = l.N
			}
		}
		emit(Closed{TenantID: id, Window: win, Metrics: m, Revision: rev, Reason: reason})
	}
	return nil
}

func (e *Engine) paneIn(loc Zone, g int, t int64) (start, end int64) {
	gr := &e.grids[g]
	if gr.calendar {
		return loc.Day(t)
	}
	start = floorDiv(t, gr.pane) * gr.pane
	return start, start + gr.pane
}

func (e *Engine) paneEndIn(loc Zone, g int, start int64) int64 {
	_, end := e.paneIn(loc, g, start)
	return end
}

// windowsOf appends the windows of spec si that hold the pane [start, end).
func (e *Engine) windowsOf(loc Zone, si int, start, end int64, dst []distWin) []distWin {
	sp := &e.specs[si]
	if sp.Calendar {
		return append(dst, distWin{si, start, end})
	}
	for s := floorDiv(start, sp.slide) * sp.slide; s+sp.size > start; s -= sp.slide {
		dst = append(dst, distWin{si, s, s + sp.size})
	}
	return dst
}

// sortWins sorts by spec and start and drops repeats.
func sortWins(ws []distWin) []distWin {
	slices.SortFunc(ws, func(a, b distWin) int {
		if c := cmp.Compare(a.spec, b.spec); c != 0 {
			return c
		}
		return cmp.Compare(a.start, b.start)
	})
	return slices.Compact(ws)
}

func withinSorted(starts []int64, from, to int64, dst []int64) []int64 {
	i, _ := slices.BinarySearch(starts, from)
	for ; i < len(starts) && starts[i] < to; i++ {
		dst = append(dst, starts[i])
	}
	return dst
}
