package postgres

import (
	"sync"
	"sync/atomic"

	"github.com/olympus-cloud/pulse/events"
)

// maxMutedIncidents bounds the incidents a Live remembers as muted; beyond
// it the set is cleared (their later updates then pass, which is the safe
// side: an alert seen rather than lost).
const maxMutedIncidents = 100_000

// Live holds the current settings snapshot for readers on any goroutine
// and filters insights by muted periods. Safe for concurrent use.
type Live struct {
	cur atomic.Pointer[Settings]

	mu    sync.Mutex
	muted map[string]struct{} // incident ids opened while muted
}

// NewLive starts with snapshot s (nil: no settings).
func NewLive(s *Settings) *Live {
	l := &Live{muted: map[string]struct{}{}}
	l.cur.Store(s)
	return l
}

// Settings is the current snapshot.
func (l *Live) Settings() *Settings { return l.cur.Load() }

// Set replaces the snapshot: pass it as WatchSettings' onChange.
func (l *Live) Set(s *Settings) { l.cur.Store(s) }

// Allow reports whether an insight should be published. An anomaly.opened
// whose window overlaps a muted period of its tenant and metric is
// withheld, and so are the later escalated and resolved insights of that
// incident, so consumers never see half an incident. Everything else
// passes: window metrics, and incidents opened before the mute began.
func (l *Live) Allow(in events.Insight) bool {
	switch in.Kind {
	case events.KindAnomalyOpened:
		if !l.Settings().MutedWindow(in.TenantID, in.Metric, in.Window.Start, in.Window.End) {
			return true
		}
		l.mu.Lock()
		if len(l.muted) >= maxMutedIncidents {
			clear(l.muted)
		}
		l.muted[in.IncidentID] = struct{}{}
		l.mu.Unlock()
		return false
	case events.KindAnomalyEscalated, events.KindAnomalyResolved:
		l.mu.Lock()
		defer l.mu.Unlock()
		if _, ok := l.muted[in.IncidentID]; !ok {
			return true
		}
		if in.Kind == events.KindAnomalyResolved {
			delete(l.muted, in.IncidentID)
		}
		return false
	}
	return true
}
