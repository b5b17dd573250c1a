package windows

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/olympus-cloud/pulse/events"
)

// Errors of Apply. An event rejected with one of them changed nothing and
// was not remembered, so a redelivery after the pressure is gone applies it.
var (
	ErrTooManyTenants = errors.New("too many tenants")
	ErrTooManyWindows = errors.New("too many windows for the tenant")
	ErrInvalidEvent   = errors.New("invalid event type")
)

// ApplyResult says what one event did.
type ApplyResult struct {
	// Duplicate: the event id was already applied; nothing changed.
	Duplicate bool
	// Late counts the already emitted windows the event went into; each gets
	// a new revision at the next Advance.
	Late int
	// Dropped counts the windows the event was too late for (closed longer
	// than the correction horizon ago): counted, not applied.
	Dropped int
	// Err is ErrTooManyTenants, ErrTooManyWindows or ErrInvalidEvent
	// (wrapped with the tenant id); nothing was applied.
	Err error
}

// Applied reports whether the event changed at least one window.
func (r ApplyResult) Applied() bool { return r.Err == nil && !r.Duplicate }

// Stats are the engine's counters (monotonic) and gauges, for export.
type Stats struct {
	Tenants     int // gauge
	LivePanes   int // gauge: open or kept for corrections
	OpenWindows int // gauge: windows with data not yet emitted

	Events                 int64 // applied
	Duplicates             int64
	LateEvents             int64 // applied to at least one emitted window
	DroppedLateEvents      int64 // too late for at least one window
	RejectedTooManyTenants int64
	RejectedTooManyWindows int64
	RejectedInvalid        int64
	WindowsClosed          int64 // first revisions emitted
	Corrections            int64 // later revisions emitted
}

type grid struct {
	pane     int64 // ns; unused for calendar
	calendar bool
	specs    []int
}

type spec struct {
	WindowSpec
	label       string
	size, slide int64
	grid        int
}

// Engine maintains the windows of many tenants. It is not safe for
// concurrent use: one goroutine owns an engine (see doc.go).
type Engine struct {
	cfg                                 Config
	store                               Store
	sealer                              paneSealer // the store, when it packs closed panes
	grids                               []grid
	specs                               []spec
	ooo, lateness, horizon, idle, dedup int64

	tenants   []*tenant
	byID      map[string]*tenant
	livePanes int
	stats     Stats
	dist      *distState // distributed mode; nil: in-memory bookkeeping

	// scratch, reused so the steady state allocates nothing
	oneRes   [1]ApplyResult
	batch    []Update
	dup      []bool
	plans    []plan
	totals   Totals
	evictBuf [MaxGrids][]int64
	starts   []int64
}

type plan struct {
	tn    *tenant
	order int // index in the caller's batch
}

// NewEngine validates cfg and returns an engine.
func NewEngine(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("windows config: %w", err)
	}
	cfg = cfg.withDefaults()
	e := &Engine{
		cfg: cfg, store: cfg.Store, byID: map[string]*tenant{},
		ooo: int64(cfg.OutOfOrderness), lateness: int64(cfg.AllowedLateness),
		horizon: int64(cfg.CorrectionHorizon), idle: int64(cfg.IdleTimeout), dedup: int64(cfg.DedupHorizon),
	}
	if cfg.Distributed != nil {
		e.dist = newDistState(*cfg.Distributed, &cfg)
	}
	if e.store == nil && e.dist == nil {
		e.store = NewMemStore(MemStoreConfig{MaxIDsPerTenant: cfg.MaxDedupIDsPerTenant})
	}
	e.sealer, _ = e.store.(paneSealer)
	gridOf := map[gridKey]int{}
	for i, w := range cfg.Windows {
		k := gridKey{w.pane(), w.Calendar}
		g, ok := gridOf[k]
		if !ok {
			g = len(e.grids)
			gridOf[k] = g
			e.grids = append(e.grids, grid{pane: int64(k.pane), calendar: k.calendar})
		}
		e.grids[g].specs = append(e.grids[g].specs, i)
		e.specs = append(e.specs, spec{WindowSpec: w, label: w.Label(), size: int64(w.Size), slide: int64(w.slide()), grid: g})
	}
	return e, nil
}

// Config returns the engine's configuration with defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// Stats returns the counters.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.Tenants = len(e.tenants)
	s.LivePanes = e.livePanes
	for _, tn := range e.tenants {
		for i := range tn.specs {
			s.OpenWindows += len(tn.specs[i].open)
		}
	}
	return s
}

// Apply applies one event at processing time now. The error is res.Err.
func (e *Engine) Apply(o *events.Order, now time.Time) (ApplyResult, error) {
	// A local array, not a field: o must not escape, or every caller's
	// order would be moved to the heap.
	one := [1]*events.Order{o}
	if err := e.ApplyBatch(one[:], now, e.oneRes[:]); err != nil {
		return ApplyResult{}, err
	}
	return e.oneRes[0], e.oneRes[0].Err
}

// ApplyBatch applies events in order with one Store.Apply call, writing
// each event's result to out (len(out) >= len(batch)). A per-event
// rejection is in out[i].Err and does not stop the batch; the returned
// error is a store failure, after which no event of the batch may be taken
// as applied (retrying the batch is safe: dedup).
func (e *Engine) ApplyBatch(batch []*events.Order, now time.Time, out []ApplyResult) error {
	return e.ApplyBatchAttached(batch, nil, now, out)
}

// ApplyBatchAttached is ApplyBatch with a payload per event: in
// distributed mode attach[i] (nil or empty for none) becomes batch[i]'s
// Update.Attach, which the Remote logs only when the event is not a
// duplicate, atomically with the dedup (processors use it to share the
// bought-together model's input). attach is nil or as long as batch; the
// memory store ignores it. The payloads are computed by the caller, not
// by a hook taking the order: an order handed to a function value would
// escape to the heap, an allocation per event on every path.
func (e *Engine) ApplyBatchAttached(batch []*events.Order, attach [][]byte, now time.Time, out []ApplyResult) error {
	if len(out) < len(batch) {
		return fmt.Errorf("apply batch: %d results for %d events", len(out), len(batch))
	}
	if attach != nil && len(attach) != len(batch) {
		return fmt.Errorf("apply batch: %d payloads for %d events", len(attach), len(batch))
	}
	if e.dist != nil {
		return e.applyRemote(batch, attach, now, out)
	}
	nowNs := now.UnixNano()
	e.batch, e.plans = e.batch[:0], e.plans[:0]
	for i, o := range batch {
		out[i] = ApplyResult{}
		tn, err := e.plan(o, nowNs)
		if err != nil {
			out[i].Err = err
			continue
		}
		e.plans = append(e.plans, plan{tn: tn, order: i})
	}
	if len(e.batch) == 0 {
		return nil
	}
	if cap(e.dup) < len(e.batch) {
		e.dup = make([]bool, len(e.batch))
	}
	dup := e.dup[:len(e.batch)]
	if err := e.store.Apply(e.batch, dup); err != nil {
		return fmt.Errorf("apply batch of %d: %w", len(e.batch), err)
	}
	for i := range e.plans {
		p := &e.plans[i]
		res := &out[p.order]
		if dup[i] {
			res.Duplicate = true
			e.stats.Duplicates++
			continue
		}
		e.commit(p.tn, batch[p.order], &e.batch[i], res)
	}
	return nil
}

// plan finds or creates the tenant, registers the panes the event needs
// (or rejects it on a cap) and appends its store update.
func (e *Engine) plan(o *events.Order, now int64) (*tenant, error) {
	if o.Type < events.OrderCreated || o.Type > events.OrderRefunded {
		e.stats.RejectedInvalid++
		return nil, fmt.Errorf("tenant %q event %q: %w %d", o.TenantID, o.EventID, ErrInvalidEvent, o.Type)
	}
	tn := e.byID[o.TenantID]
	if tn == nil {
		if len(e.tenants) >= e.cfg.MaxTenants {
			e.stats.RejectedTooManyTenants++
			return nil, fmt.Errorf("tenant %q: %w (limit %d)", o.TenantID, ErrTooManyTenants, e.cfg.MaxTenants)
		}
		tn = e.newTenant(o.TenantID, now)
	}
	if now > tn.lastSeen {
		tn.lastSeen = now
	}
	t := o.OccurredAt.UnixNano()
	tooLate := e.tooLate(tn)

	if len(e.batch) < cap(e.batch) {
		e.batch = e.batch[:len(e.batch)+1]
	} else {
		e.batch = append(e.batch, Update{})
	}
	u := &e.batch[len(e.batch)-1]
	u.Tenant, u.EventKey, u.At, u.Currency, u.Grids = o.TenantID, xxhash.Sum64String(o.EventID), t, o.Currency, 0
	var ends [MaxGrids]int64
	newPanes := 0
	for g := range e.grids {
		start, end := e.paneOf(tn, g, t)
		if e.lastEnd(tn, g, start, end) <= tooLate {
			continue // every window of this pane is past the correction horizon
		}
		u.Grids |= 1 << g
		u.PaneStart[g], ends[g] = start, end
		if !tn.panes[g].has(start) {
			newPanes++
		} else {
			tn.panes[g].touch(start)
		}
	}
	if newPanes > 0 {
		if tn.live+newPanes > e.cfg.MaxWindowsPerTenant {
			e.batch = e.batch[:len(e.batch)-1]
			e.stats.RejectedTooManyWindows++
			return nil, fmt.Errorf("tenant %q at %s: %w (limit %d)", o.TenantID, o.OccurredAt.Format(time.RFC3339), ErrTooManyWindows, e.cfg.MaxWindowsPerTenant)
		}
		for g := range e.grids {
			if u.Grids&(1<<g) != 0 && tn.panes[g].insert(u.PaneStart[g], ends[g]) {
				tn.live++
				e.livePanes++
				e.registerPane(tn, g, u.PaneStart[g], ends[g])
			}
		}
	}
	setDelta(&u.Delta, o)
	return tn, nil
}

// setDelta sets d to the event's exact increments.
func setDelta(d *Delta, o *events.Order) {
	*d = Delta{}
	switch o.Type {
	case events.OrderCreated:
		d.Orders, d.ItemsSold = 1, o.ItemCount()
		if o.CustomerID != "" {
			if d.Customer = xxhash.Sum64String(o.CustomerID); d.Customer == 0 {
				d.Customer = 1 // 0 means "no customer"
			}
		}
	case events.OrderCompleted:
		d.CompletedOrders, d.CompletedRevenue = 1, o.Amount
	case events.OrderCancelled:
		d.CancelledOrders = 1
	case events.OrderRefunded:
		d.RefundedOrders, d.RefundedAmount = 1, o.Amount
	}
}

// commit records an applied event: the watermark, and the emitted windows
// it corrects.
func (e *Engine) commit(tn *tenant, o *events.Order, u *Update, res *ApplyResult) {
	e.stats.Events++
	t := u.At
	if !tn.seen || t > tn.maxT {
		tn.maxT, tn.seen = t, true
	}
	if t >= tn.frontier {
		return // every window holding t ends after t: none is closed
	}
	tooLate := e.tooLate(tn)
	for si := range e.specs {
		sp := &e.specs[si]
		if sp.Calendar {
			start, end := tn.day(t)
			e.lateWindow(tn, si, start, end, tooLate, o.Currency, res)
			continue
		}
		for s := floorDiv(t, sp.slide) * sp.slide; s+sp.size > t; s -= sp.slide {
			e.lateWindow(tn, si, s, s+sp.size, tooLate, o.Currency, res)
		}
	}
	if res.Late > 0 {
		e.stats.LateEvents++
	}
	if res.Dropped > 0 {
		e.stats.DroppedLateEvents++
	}
}

func (e *Engine) lateWindow(tn *tenant, si int, start, end, tooLate int64, currency string, res *ApplyResult) {
	switch {
	case end > tn.frontier:
		return // still open
	case end <= tooLate:
		res.Dropped++
	default:
		res.Late++
		tn.specs[si].markLate(start, currency)
	}
}

// windowAt returns the window of spec si starting at start.
func (e *Engine) windowAt(tn *tenant, si int, start int64) window {
	sp := &e.specs[si]
	if sp.Calendar {
		if start == tn.dayStart {
			return window{start, tn.dayEnd}
		}
		// Not tn.day: an old day must not evict the current one from its
		// cache.
		_, end := tn.zone.Day(start)
		return window{start, end}
	}
	return window{start, start + sp.size}
}

// endsBy reports whether the window of spec si starting at start ends at
// or before t, without the zone arithmetic of a calendar day unless t is
// within a few hours of its end (Advance asks this of every closed window).
func (e *Engine) endsBy(tn *tenant, si int, start, t int64) bool {
	sp := &e.specs[si]
	if !sp.Calendar {
		return start+sp.size <= t
	}
	const short, long = int64(22 * time.Hour), int64(26 * time.Hour) // days are 23 to 25 hours
	switch {
	case tn.zone.Previous != nil:
		// A transition day after a zone change may be a few hours long.
	case start+short > t:
		return false
	case start+long <= t:
		return true
	}
	return e.windowAt(tn, si, start).end <= t
}

// tooLate is the end at or before which a window takes no more events.
func (e *Engine) tooLate(tn *tenant) int64 {
	if tn.frontier == math.MinInt64 {
		return tn.floor
	}
	h := e.horizon
	if h < 0 {
		h = 0
	}
	return max(tn.frontier-h, tn.floor)
}

func (e *Engine) paneOf(tn *tenant, g int, t int64) (start, end int64) {
	gr := &e.grids[g]
	if gr.calendar {
		return tn.day(t)
	}
	start = floorDiv(t, gr.pane) * gr.pane
	return start, start + gr.pane
}

// lastEnd is the latest end of a window holding the pane [start, end).
func (e *Engine) lastEnd(tn *tenant, g int, start, end int64) int64 {
	gr := &e.grids[g]
	if gr.calendar {
		return end
	}
	last := int64(math.MinInt64)
	for _, si := range gr.specs {
		sp := &e.specs[si]
		last = max(last, floorDiv(start, sp.slide)*sp.slide+sp.size)
	}
	return last
}

// registerPane adds the open windows holding a new pane to their specs.
func (e *Engine) registerPane(tn *tenant, g int, start, end int64) {
	for _, si := range e.grids[g].specs {
		sp := &e.specs[si]
		if sp.Calendar {
			if end > tn.frontier {
				tn.specs[si].addOpen(start, end)
			}
			continue
		}
		for s := floorDiv(start, sp.slide) * sp.slide; s+sp.size > start; s -= sp.slide {
			if s+sp.size > tn.frontier {
				tn.specs[si].addOpen(s, s+sp.size)
			}
		}
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// Watermark returns the tenant's watermark (largest event time applied
// minus OutOfOrderness) and close frontier (every window ending at or
// before it has been emitted; ahead of the watermark after idle closes,
// behind it by AllowedLateness otherwise). ok is false for an unknown
// tenant or one with no close yet, and always in distributed mode (the
// watermark lives in the Remote).
func (e *Engine) Watermark(tenant string) (watermark, frontier time.Time, ok bool) {
	tn := e.byID[tenant]
	if tn == nil || !tn.seen {
		return time.Time{}, time.Time{}, false
	}
	watermark = time.Unix(0, tn.maxT-e.ooo).UTC()
	if tn.frontier == math.MinInt64 {
		return watermark, time.Time{}, false
	}
	return watermark, time.Unix(0, tn.frontier).UTC(), true
}
