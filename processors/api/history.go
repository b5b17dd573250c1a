package api

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// HistoryConfig bounds a History. The zero value is the default.
type HistoryConfig struct {
	// MaxTenants caps the tenants held; the least recently updated one is
	// dropped beyond it. Default 1000.
	MaxTenants int
	// WindowsPerSize caps each tenant's closed windows per size (one entry
	// per window and currency); the oldest go first. Default 1m: 180 (3h),
	// 5m: 288 (24h), 1h: 336 (14 days), 1d: 400; any other size 200.
	WindowsPerSize map[string]int
	// MaxInsights caps each tenant's recent insights (the /insights list).
	// Default 500.
	MaxInsights int
	// InsightWindowSizes are the window sizes whose window.* insights are
	// also kept in the recent-insights list; minute windows would push
	// anomalies out. Default 1h and 1d.
	InsightWindowSizes []string
	// MaxIncidents caps each tenant's incidents; the oldest resolved go
	// first, then the oldest. Default 200.
	MaxIncidents int
}

// Validate reports every problem at once.
func (c HistoryConfig) Validate() error {
	var errs []error
	if c.MaxTenants < 0 || c.MaxInsights < 0 || c.MaxIncidents < 0 {
		errs = append(errs, errors.New("history: caps must not be negative"))
	}
	for s, n := range c.WindowsPerSize {
		if n < 0 {
			errs = append(errs, fmt.Errorf("history: windows per size %s: %d is negative", s, n))
		}
	}
	return errors.Join(errs...)
}

func (c HistoryConfig) withDefaults() HistoryConfig {
	if c.MaxTenants == 0 {
		c.MaxTenants = 1000
	}
	if c.MaxInsights == 0 {
		c.MaxInsights = 500
	}
	if c.MaxIncidents == 0 {
		c.MaxIncidents = 200
	}
	if c.InsightWindowSizes == nil {
		c.InsightWindowSizes = []string{"1h", "1d"}
	}
	caps := map[string]int{"1m": 180, "5m": 288, "1h": 336, "1d": 400}
	for s, n := range c.WindowsPerSize {
		if n > 0 {
			caps[s] = n
		}
	}
	c.WindowsPerSize = caps
	return c
}

func (c HistoryConfig) windowCap(size string) int {
	if n, ok := c.WindowsPerSize[size]; ok {
		return n
	}
	return 200
}

// Incident is the lifecycle of one anomaly, assembled from its anomaly.*
// insights by IncidentID.
type Incident struct {
	IncidentID   string          `json:"incident_id"`
	TenantID     string          `json:"tenant_id"`
	Metric       string          `json:"metric"`
	Currency     string          `json:"currency,omitempty"`
	State        string          `json:"state"` // open or resolved
	Severity     events.Severity `json:"severity"`
	PeakSeverity events.Severity `json:"peak_severity"`
	PeakScore    float64         `json:"peak_score"`
	OpenedAt     time.Time       `json:"opened_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	ResolvedAt   *time.Time      `json:"resolved_at,omitempty"`
	FirstWindow  events.Window   `json:"first_window"`
	LastWindow   events.Window   `json:"last_window"`
	Observed     float64         `json:"observed"`
	Expected     float64         `json:"expected"`
	Band         events.Band     `json:"band"`
	Message      string          `json:"message"`
	Updates      int             `json:"updates"`

	seq uint64
	ids []string // insight ids applied, for idempotence
}

// Incident states.
const (
	StateOpen     = "open"
	StateResolved = "resolved"
)

// IncidentQuery selects a page of incidents, newest first.
type IncidentQuery struct {
	State  string // "", "open" or "resolved"
	Cursor string // from the previous page; "" for the first
	Limit  int
}

// IncidentSource lists a tenant's incidents. The History is one; the
// Postgres alert history will be another.
type IncidentSource interface {
	Incidents(ctx context.Context, tenant string, q IncidentQuery) (page []Incident, next string, err error)
}

// ErrBadCursor is returned for a cursor no page handed out.
var ErrBadCursor = errors.New("malformed cursor")

// History holds what the process saw per tenant, bounded: recent closed
// windows per size (the latest revision of each), recent insights and
// incidents. Feed it with Add (Outputs.Observe(history.Add)). Safe for
// concurrent use.
type History struct {
	cfg HistoryConfig

	mu      sync.RWMutex
	tenants map[string]*list.Element // of *tenantHistory
	lru     *list.List               // most recently updated first
	dropped uint64
}

type windowKey struct {
	start    int64
	currency string
}

type storedWindow struct {
	key windowKey
	in  events.Insight
}

type storedInsight struct {
	seq uint64
	in  events.Insight
}

type tenantHistory struct {
	id        string
	windows   map[string][]storedWindow // size -> sorted by key
	insights  []storedInsight           // oldest first
	insightID map[string]struct{}
	incidents map[string]*Incident
	seq       uint64
}

// NewHistory returns an empty History.
func NewHistory(cfg HistoryConfig) (*History, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &History{cfg: cfg.withDefaults(), tenants: map[string]*list.Element{}, lru: list.New()}, nil
}

// Add records one delivered insight. It never blocks on I/O.
func (h *History) Add(in events.Insight) {
	if in.TenantID == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.tenant(in.TenantID)
	switch in.Kind {
	case events.KindWindowMetrics, events.KindWindowCorrection:
		h.addWindow(t, in)
		if !slices.Contains(h.cfg.InsightWindowSizes, in.Window.Size) {
			return
		}
	case events.KindAnomalyOpened, events.KindAnomalyEscalated, events.KindAnomalyResolved:
		h.addIncident(t, in)
	}
	if _, dup := t.insightID[in.InsightID]; dup && in.InsightID != "" {
		return
	}
	t.seq++
	t.insights = append(t.insights, storedInsight{seq: t.seq, in: in})
	t.insightID[in.InsightID] = struct{}{}
	if over := len(t.insights) - h.cfg.MaxInsights; over > 0 {
		for _, s := range t.insights[:over] {
			delete(t.insightID, s.in.InsightID)
		}
		t.insights = slices.Delete(t.insights, 0, over)
	}
}

// tenant returns the tenant's state, creating it and evicting the least
// recently updated tenant beyond the cap. Called with h.mu held.
func (h *History) tenant(id string) *tenantHistory {
	if e, ok := h.tenants[id]; ok {
		h.lru.MoveToFront(e)
		return e.Value.(*tenantHistory)
	}
	t := &tenantHistory{id: id, windows: map[string][]storedWindow{}, insightID: map[string]struct{}{}, incidents: map[string]*Incident{}}
	h.tenants[id] = h.lru.PushFront(t)
	for len(h.tenants) > h.cfg.MaxTenants {
		last := h.lru.Back()
		h.lru.Remove(last)
		delete(h.tenants, last.Value.(*tenantHistory).id)
		h.dropped++
	}
	return t
}

func (h *History) addWindow(t *tenantHistory, in events.Insight) {
	if in.Metrics == nil {
		return
	}
	k := windowKey{in.Window.Start.UnixNano(), in.Metrics.Currency}
	ws := t.windows[in.Window.Size]
	i, found := sort.Find(len(ws), func(i int) int { return compareKeys(k, ws[i].key) })
	if found {
		if in.Revision >= ws[i].in.Revision {
			ws[i].in = in
		}
		return
	}
	ws = slices.Insert(ws, i, storedWindow{key: k, in: in})
	if over := len(ws) - h.cfg.windowCap(in.Window.Size); over > 0 {
		ws = slices.Delete(ws, 0, over)
	}
	t.windows[in.Window.Size] = ws
}

func compareKeys(a, b windowKey) int {
	switch {
	case a.start < b.start:
		return -1
	case a.start > b.start:
		return 1
	case a.currency < b.currency:
		return -1
	case a.currency > b.currency:
		return 1
	}
	return 0
}

var severityRank = map[events.Severity]int{events.SeverityInfo: 1, events.SeverityWarning: 2, events.SeverityCritical: 3}

func (h *History) addIncident(t *tenantHistory, in events.Insight) {
	id := in.IncidentID
	if id == "" {
		id = in.InsightID
	}
	inc, ok := t.incidents[id]
	if !ok {
		t.seq++
		inc = &Incident{IncidentID: id, TenantID: in.TenantID, Metric: in.Metric, Currency: in.Currency,
			State: StateOpen, OpenedAt: in.GeneratedAt, FirstWindow: in.Window, seq: t.seq}
		t.incidents[id] = inc
		h.trimIncidents(t)
	}
	if slices.Contains(inc.ids, in.InsightID) {
		return
	}
	inc.ids = append(inc.ids, in.InsightID)
	inc.Updates++
	if in.GeneratedAt.Before(inc.OpenedAt) {
		inc.OpenedAt = in.GeneratedAt
	}
	if in.GeneratedAt.After(inc.UpdatedAt) || inc.Updates == 1 {
		inc.UpdatedAt = in.GeneratedAt
		inc.LastWindow = in.Window
		inc.Observed, inc.Expected, inc.Band, inc.Message = in.Observed, in.Expected, in.Band, in.Message
		inc.Severity = in.Severity
	}
	if severityRank[in.Severity] > severityRank[inc.PeakSeverity] {
		inc.PeakSeverity = in.Severity
	}
	if s := math.Abs(in.Score); s > inc.PeakScore {
		inc.PeakScore = s
	}
	if in.Kind == events.KindAnomalyResolved {
		inc.State = StateResolved
		at := in.GeneratedAt
		inc.ResolvedAt = &at
	}
}

// trimIncidents drops the oldest resolved incidents, then the oldest, beyond
// the cap.
func (h *History) trimIncidents(t *tenantHistory) {
	for len(t.incidents) > h.cfg.MaxIncidents {
		var victim *Incident
		for _, inc := range t.incidents {
			if victim == nil || (inc.State == StateResolved) != (victim.State == StateResolved) && inc.State == StateResolved ||
				(inc.State == StateResolved) == (victim.State == StateResolved) && inc.seq < victim.seq {
				victim = inc
			}
		}
		delete(t.incidents, victim.IncidentID)
	}
}

// Known reports whether the History holds anything of the tenant.
func (h *History) Known(tenant string) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	_, ok := h.tenants[tenant]
	return ok
}

// Tenants lists the tenants held, sorted.
func (h *History) Tenants() []string {
	h.mu.RLock()
	out := make([]string, 0, len(h.tenants))
	for id := range h.tenants {
		out = append(out, id)
	}
	h.mu.RUnlock()
	sort.Strings(out)
	return out
}

// DroppedTenants counts tenants evicted by MaxTenants.
func (h *History) DroppedTenants() uint64 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.dropped
}

// ClosedWindows returns the latest revision of each closed window of the
// size inside [from, to), oldest first, all currencies (ask.Source).
func (h *History) ClosedWindows(tenant, size string, from, to time.Time) []events.Insight {
	page, _ := h.windowPage(tenant, size, from, to, "", windowKey{start: math.MinInt64}, math.MaxInt)
	return page
}

// windowPage returns windows of the size that start in [from, to) (and, by
// the caller's choice, end by to) after the cursor key.
func (h *History) windowPage(tenant, size string, from, to time.Time, currency string, after windowKey, limit int) ([]events.Insight, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	e, ok := h.tenants[tenant]
	if !ok {
		return nil, false
	}
	var out []events.Insight
	for _, w := range e.Value.(*tenantHistory).windows[size] {
		if compareKeys(w.key, after) <= 0 || w.in.Window.Start.Before(from) || w.in.Window.End.After(to) {
			continue
		}
		if currency != "" && w.key.currency != currency {
			continue
		}
		if len(out) == limit {
			return out, true
		}
		out = append(out, w.in)
	}
	return out, false
}

// Anomalies returns the anomaly.* insights whose window starts in
// [from, to), oldest first (ask.Source).
func (h *History) Anomalies(tenant string, from, to time.Time) []events.Insight {
	h.mu.RLock()
	defer h.mu.RUnlock()
	e, ok := h.tenants[tenant]
	if !ok {
		return nil
	}
	var out []events.Insight
	for _, s := range e.Value.(*tenantHistory).insights {
		switch s.in.Kind {
		case events.KindAnomalyOpened, events.KindAnomalyEscalated, events.KindAnomalyResolved:
			if !s.in.Window.Start.Before(from) && s.in.Window.Start.Before(to) {
				out = append(out, s.in)
			}
		}
	}
	return out
}

// insightPage returns recent insights, newest first, that match keep and
// are older than the cursor sequence (0: from the newest).
func (h *History) insightPage(tenant string, before uint64, limit int, keep func(*events.Insight) bool) (page []events.Insight, next uint64) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	e, ok := h.tenants[tenant]
	if !ok {
		return nil, 0
	}
	ins := e.Value.(*tenantHistory).insights
	var last uint64
	for i := len(ins) - 1; i >= 0; i-- {
		s := ins[i]
		if before != 0 && s.seq >= before {
			continue
		}
		if !keep(&s.in) {
			continue
		}
		if len(page) == limit {
			return page, last
		}
		page = append(page, s.in)
		last = s.seq
	}
	return page, 0
}

// Incidents lists a tenant's incidents, newest first (IncidentSource). The
// cursor is the sequence of the last incident returned.
func (h *History) Incidents(_ context.Context, tenant string, q IncidentQuery) ([]Incident, string, error) {
	var before uint64
	if q.Cursor != "" {
		v, err := strconv.ParseUint(q.Cursor, 10, 64)
		if err != nil || v == 0 {
			return nil, "", ErrBadCursor
		}
		before = v
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	e, ok := h.tenants[tenant]
	if !ok {
		return nil, "", nil
	}
	all := make([]*Incident, 0, len(e.Value.(*tenantHistory).incidents))
	for _, inc := range e.Value.(*tenantHistory).incidents {
		if (before == 0 || inc.seq < before) && (q.State == "" || inc.State == q.State) {
			all = append(all, inc)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seq > all[j].seq })
	next := ""
	if len(all) > q.Limit {
		all = all[:q.Limit]
		next = strconv.FormatUint(all[len(all)-1].seq, 10)
	}
	out := make([]Incident, len(all))
	for i, inc := range all {
		out[i] = *inc
		out[i].ids = nil
		if inc.ResolvedAt != nil {
			at := *inc.ResolvedAt
			out[i].ResolvedAt = &at
		}
	}
	return out, next, nil
}

// Incident returns one incident by id.
func (h *History) Incident(tenant, id string) (Incident, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	e, ok := h.tenants[tenant]
	if !ok {
		return Incident{}, false
	}
	inc, ok := e.Value.(*tenantHistory).incidents[id]
	if !ok {
		return Incident{}, false
	}
	out := *inc
	out.ids = nil
	return out, true
}
