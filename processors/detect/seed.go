package detect

import (
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// Seed primes a tenant's series with one past closed window, as Observe
// would score it, but without alerting: the detectors learn the point (level,
// spread, seasonal profiles, usual volume) and the alert lifecycles are left
// exactly as they were, so no incident opens or resolves from history.
// Feed a series' past windows oldest first, before its first live window:
// a window that does not start after the series' latest point is refused
// (the detectors need points in order), and Seed reports false.
//
// A warm start seeds a tenant's history (for example from the commerce
// system's orders) so its first live window is scored against it instead
// of waiting out Config.Warmup points.
func (m *Monitor) Seed(tenant string, w events.Window, wm events.WindowMetrics) bool {
	g := m.group(groupKey{tenant, w.Size, wm.Currency})
	if !g.after(w) {
		return false
	}
	var saved [len(metricOrder)]Lifecycle
	for i, l := range g.life {
		saved[i] = *l
	}
	m.Observe(tenant, w, wm, w.End)
	for i, l := range g.life {
		*l = saved[i]
	}
	return true
}

// SeedAll seeds past windows of one tenant (any sizes and currencies,
// each series oldest first) and returns how many were taken.
func (m *Monitor) SeedAll(tenant string, past []SeedWindow) int {
	n := 0
	for _, p := range past {
		if m.Seed(tenant, p.Window, p.Metrics) {
			n++
		}
	}
	return n
}

// SeedWindow is one past closed window to seed.
type SeedWindow struct {
	Window  events.Window
	Metrics events.WindowMetrics
}

// Replay observes one past window exactly as Observe did when it was first
// scored (closedAt is when that was), alert lifecycles included, and
// discards the insights: a replica that takes over a tenant catches up on
// the windows another replica scored, so its next insight is the one that
// replica would have published. Like Seed it refuses (false) a window that
// does not start after the series' latest point, so replaying a window
// twice is harmless.
func (m *Monitor) Replay(tenant string, w events.Window, wm events.WindowMetrics, closedAt time.Time) bool {
	if !m.group(groupKey{tenant, w.Size, wm.Currency}).after(w) {
		return false
	}
	m.Observe(tenant, w, wm, closedAt)
	return true
}

// after reports whether w starts after the group's latest point. Orders is
// scored on every window, so its detector's last point is the series'.
func (g *group) after(w events.Window) bool {
	for i, metric := range metricOrder {
		if last := g.det[i].lastAt; metric == MetricOrders && !last.IsZero() && !w.Start.After(last) {
			return false
		}
	}
	return true
}
