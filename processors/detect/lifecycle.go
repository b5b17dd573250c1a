package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"strconv"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// Key identifies one series: a tenant's metric at one window size and
// currency. Currency is "" for metrics that are not money.
type Key struct {
	Tenant   string
	Metric   string
	Size     string
	Currency string
}

// Lifecycle is the alert state machine of one series: at most one open
// incident at a time, opened on a detector alert, escalated once when the
// score reaches Critical, resolved when |z| falls below Recovery
// (hysteresis) or the direction flips, then quiet for Cooldown points. Not
// safe for concurrent use.
type Lifecycle struct {
	key  Key
	cfg  Config
	text Texter

	open     bool
	incident string
	opened   events.Window
	severity events.Severity
	sign     float64
	revision int
	adapted  bool
	cooldown int
}

// NewLifecycle validates cfg and returns an idle lifecycle for key. Messages
// are written by text; nil means DefaultTexter for cfg.Location.
func NewLifecycle(key Key, cfg Config, text Texter) (*Lifecycle, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if text == nil {
		text = DefaultTexter{Location: cfg.Location}
	}
	return &Lifecycle{key: key, cfg: cfg, text: text}, nil
}

// Open reports whether an incident is open, and its id.
func (l *Lifecycle) Open() (incidentID string, open bool) { return l.incident, l.open }

// Step advances the state machine with the score s of window w. It returns
// the insight to publish, if any; generatedAt stamps it (time is an
// argument: the same input gives the same insights and ids).
func (l *Lifecycle) Step(w events.Window, s Score, generatedAt time.Time) (events.Insight, bool) {
	if !s.Valid {
		return events.Insight{}, false
	}
	az := math.Abs(s.Z)
	if l.open {
		l.adapted = l.adapted || s.Adapted
		// Resolve when the point and the recent mean score are both back
		// under Recovery and the run no longer alerts (one quiet point
		// inside a sustained shift does not end the incident), or on an
		// anomalous point the other way.
		toward, recent, run := s.Z*l.sign, s.Recent*l.sign, s.Sustained*l.sign
		back := toward < l.cfg.Recovery && recent < l.cfg.Recovery && run < l.cfg.runBar()
		flipped := toward <= -l.cfg.Threshold
		switch {
		case back || flipped || !s.Warm || s.Adapted || s.Returned:
			l.open = false
			l.revision++
			l.cooldown = l.cfg.Cooldown
			return l.insight(events.KindAnomalyResolved, w, s, generatedAt), true
		case l.severity == events.SeverityWarning && az >= l.cfg.Critical:
			l.severity = events.SeverityCritical
			l.revision++
			return l.insight(events.KindAnomalyEscalated, w, s, generatedAt), true
		}
		return events.Insight{}, false
	}
	if l.cooldown > 0 {
		l.cooldown--
		return events.Insight{}, false
	}
	if !s.Alert {
		return events.Insight{}, false
	}
	l.open, l.opened, l.revision, l.adapted = true, w, 0, s.Adapted
	l.sign = s.direction()
	l.severity = events.SeverityWarning
	if az >= l.cfg.Critical {
		l.severity = events.SeverityCritical
	}
	l.incident = IncidentID(l.key, w.Start)
	return l.insight(events.KindAnomalyOpened, w, s, generatedAt), true
}

func (l *Lifecycle) insight(kind events.Kind, w events.Window, s Score, at time.Time) events.Insight {
	in := events.Insight{
		SchemaVersion: events.InsightSchemaVersion,
		TenantID:      l.key.Tenant,
		Kind:          kind,
		Metric:        l.key.Metric,
		Currency:      l.key.Currency,
		Window:        w,
		Observed:      s.Value,
		Expected:      s.Expected,
		Band:          s.Band,
		Score:         s.Z,
		Severity:      l.severity,
		Method:        string(s.Method),
		History:       s.History,
		GeneratedAt:   at,
		Revision:      l.revision,
		IncidentID:    l.incident,
	}
	in.InsightID = events.InsightID(in.TenantID, kind, in.Metric, in.Currency, w, in.Revision)
	in.Message = l.text.Message(Event{Kind: kind, Key: l.key, Window: w, Opened: l.opened, Score: s, Adapted: l.adapted})
	return in
}

// IncidentID derives an incident's stable id from its series and the start
// of the window that opened it, so replays and re-publishes agree.
func IncidentID(k Key, openedStart time.Time) string {
	var b []byte
	for _, f := range []string{k.Tenant, k.Metric, k.Size, k.Currency} {
		b = append(b, f...)
		b = append(b, 0)
	}
	b = strconv.AppendInt(b, openedStart.UnixNano(), 10)
	sum := sha256.Sum256(b)
	return "inc_" + hex.EncodeToString(sum[:12])
}
