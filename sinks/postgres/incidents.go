package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/olympus-cloud/pulse/events"
)

// Incident is one anomaly's lifecycle as the alert history holds it. Its
// fields are those of the API's incident (processors/api.Incident), so the
// adapter is a field copy.
type Incident struct {
	IncidentID   string
	TenantID     string
	Metric       string
	Currency     string
	State        string // StateOpen or StateResolved
	Severity     events.Severity
	PeakSeverity events.Severity
	PeakScore    float64
	OpenedAt     time.Time
	EscalatedAt  *time.Time
	UpdatedAt    time.Time
	ResolvedAt   *time.Time
	FirstWindow  events.Window
	LastWindow   events.Window
	Observed     float64
	Expected     float64
	Band         events.Band
	Message      string
	Updates      int
}

// Incident states.
const (
	StateOpen     = "open"
	StateResolved = "resolved"
)

// IncidentQuery selects a page of a tenant's incidents, newest first.
type IncidentQuery struct {
	State  string // "", StateOpen or StateResolved
	Cursor string // from the previous page; "" for the first
	Limit  int    // default 100, at most 1000
}

// ErrBadCursor is returned for a cursor no page handed out.
var ErrBadCursor = errors.New("malformed cursor")

// IsIncident reports whether in belongs in the alert history: the anomaly.*
// kinds, which carry an incident id.
func IsIncident(in events.Insight) bool {
	switch in.Kind {
	case events.KindAnomalyOpened, events.KindAnomalyEscalated, events.KindAnomalyResolved:
		return in.IncidentID != ""
	}
	return false
}

// recordIncident merges one insight into its incident. Every rule is a
// monotone merge, so insights of one incident may arrive in any order and
// any number of times with the same result: opened_at, escalated_at and the
// first window come from the earliest insight, the latest figures from the
// latest, peak score and severity are maxima, and the state never goes back
// from resolved to open.
const recordIncident = `
INSERT INTO incidents AS i (incident_id, tenant_id, metric, window_size, currency, state, severity,
	peak_severity, peak_score, opened_at, escalated_at, resolved_at, updated_at,
	first_window_start, first_window_end, last_window_start, last_window_end,
	observed, expected, band_low, band_high, message, first_insight_id, last_insight_id, updates)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $9, $12, $13, $12, $13, $14, $15, $16, $17, $18, $19, $19, 1)
ON CONFLICT (incident_id) DO UPDATE SET
	state = CASE WHEN i.state = 'resolved' OR EXCLUDED.state = 'resolved' THEN 'resolved' ELSE 'open' END,
	peak_score = GREATEST(i.peak_score, EXCLUDED.peak_score),
	peak_severity = CASE WHEN pulse_severity_rank(EXCLUDED.peak_severity) > pulse_severity_rank(i.peak_severity)
		THEN EXCLUDED.peak_severity ELSE i.peak_severity END,
	escalated_at = LEAST(i.escalated_at, EXCLUDED.escalated_at),
	resolved_at = LEAST(i.resolved_at, EXCLUDED.resolved_at),
	opened_at = LEAST(i.opened_at, EXCLUDED.opened_at),
	first_window_start = CASE WHEN EXCLUDED.opened_at < i.opened_at THEN EXCLUDED.first_window_start ELSE i.first_window_start END,
	first_window_end = CASE WHEN EXCLUDED.opened_at < i.opened_at THEN EXCLUDED.first_window_end ELSE i.first_window_end END,
	first_insight_id = CASE WHEN EXCLUDED.opened_at < i.opened_at THEN EXCLUDED.first_insight_id ELSE i.first_insight_id END,
	updated_at = GREATEST(i.updated_at, EXCLUDED.updated_at),
	severity = CASE WHEN EXCLUDED.updated_at >= i.updated_at THEN EXCLUDED.severity ELSE i.severity END,
	last_window_start = CASE WHEN EXCLUDED.updated_at >= i.updated_at THEN EXCLUDED.last_window_start ELSE i.last_window_start END,
	last_window_end = CASE WHEN EXCLUDED.updated_at >= i.updated_at THEN EXCLUDED.last_window_end ELSE i.last_window_end END,
	observed = CASE WHEN EXCLUDED.updated_at >= i.updated_at THEN EXCLUDED.observed ELSE i.observed END,
	expected = CASE WHEN EXCLUDED.updated_at >= i.updated_at THEN EXCLUDED.expected ELSE i.expected END,
	band_low = CASE WHEN EXCLUDED.updated_at >= i.updated_at THEN EXCLUDED.band_low ELSE i.band_low END,
	band_high = CASE WHEN EXCLUDED.updated_at >= i.updated_at THEN EXCLUDED.band_high ELSE i.band_high END,
	message = CASE WHEN EXCLUDED.updated_at >= i.updated_at THEN EXCLUDED.message ELSE i.message END,
	last_insight_id = CASE WHEN EXCLUDED.updated_at >= i.updated_at THEN EXCLUDED.last_insight_id ELSE i.last_insight_id END,
	updates = i.updates + 1`

// RecordInsight merges an anomaly.* insight into the alert history and
// returns once it is durable. Idempotent by insight id: a replay of an
// insight already applied changes nothing. Insights of other kinds, or
// without an incident id, are ignored. It blocks on Postgres: call it from
// a HistoryWriter, not from the pipeline.
func (s *Store) RecordInsight(ctx context.Context, in events.Insight) error {
	if !IsIncident(in) {
		return nil
	}
	state := StateOpen
	var escalated, resolved *time.Time
	at := in.GeneratedAt.UTC()
	switch in.Kind {
	case events.KindAnomalyEscalated:
		escalated = &at
	case events.KindAnomalyResolved:
		state, resolved = StateResolved, &at
	}
	score := math.Abs(in.Score)
	if math.IsNaN(score) || math.IsInf(score, 0) {
		score = 0
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO incident_insights (insight_id, incident_id, kind, severity, score, generated_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (insight_id) DO NOTHING`,
			in.InsightID, in.IncidentID, string(in.Kind), string(in.Severity), score, at)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil // a replay
		}
		_, err = tx.Exec(ctx, recordIncident, in.IncidentID, in.TenantID, in.Metric, in.Window.Size, in.Currency,
			state, string(in.Severity), score, at, escalated, resolved, in.Window.Start.UTC(), in.Window.End.UTC(),
			finite(in.Observed), finite(in.Expected), finite(in.Band.Low), finite(in.Band.High), in.Message, in.InsightID)
		return err
	})
	if err != nil {
		return fmt.Errorf("record insight %s of incident %s: %w", in.InsightID, in.IncidentID, err)
	}
	return nil
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

const incidentColumns = `seq, incident_id, tenant_id, metric, currency, state, severity, peak_severity, peak_score,
	opened_at, escalated_at, updated_at, resolved_at, window_size, first_window_start, first_window_end,
	last_window_start, last_window_end, observed, expected, band_low, band_high, message, updates`

func scanIncident(row pgx.Row) (Incident, int64, error) {
	var inc Incident
	var seq int64
	var size, sev, peak string
	err := row.Scan(&seq, &inc.IncidentID, &inc.TenantID, &inc.Metric, &inc.Currency, &inc.State, &sev, &peak,
		&inc.PeakScore, &inc.OpenedAt, &inc.EscalatedAt, &inc.UpdatedAt, &inc.ResolvedAt, &size,
		&inc.FirstWindow.Start, &inc.FirstWindow.End, &inc.LastWindow.Start, &inc.LastWindow.End,
		&inc.Observed, &inc.Expected, &inc.Band.Low, &inc.Band.High, &inc.Message, &inc.Updates)
	inc.Severity, inc.PeakSeverity = events.Severity(sev), events.Severity(peak)
	inc.FirstWindow.Size, inc.LastWindow.Size = size, size
	utc := func(t *time.Time) {
		if t != nil {
			*t = t.UTC()
		}
	}
	for _, t := range []*time.Time{&inc.OpenedAt, &inc.UpdatedAt, &inc.FirstWindow.Start, &inc.FirstWindow.End,
		&inc.LastWindow.Start, &inc.LastWindow.End, inc.EscalatedAt, inc.ResolvedAt} {
		utc(t)
	}
	return inc, seq, err
}

// Incidents lists a tenant's incidents, newest first (by first record), a
// page at a time: next is the cursor of the following page, "" at the end.
// Its shape is the API's IncidentSource.
func (s *Store) Incidents(ctx context.Context, tenant string, q IncidentQuery) (page []Incident, next string, err error) {
	before := int64(math.MaxInt64)
	if q.Cursor != "" {
		v, err := strconv.ParseInt(q.Cursor, 10, 64)
		if err != nil || v <= 0 {
			return nil, "", ErrBadCursor
		}
		before = v
	}
	switch q.State {
	case "", StateOpen, StateResolved:
	default:
		return nil, "", fmt.Errorf("incident state %q: want open or resolved", q.State)
	}
	if q.Limit <= 0 {
		q.Limit = 100
	}
	q.Limit = min(q.Limit, 1000)
	rows, err := s.pool.Query(ctx, `SELECT `+incidentColumns+` FROM incidents
		WHERE tenant_id = $1 AND seq < $2 AND ($3 = '' OR state = $3)
		ORDER BY seq DESC LIMIT $4`, tenant, before, q.State, q.Limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list incidents of %s: %w", tenant, err)
	}
	defer rows.Close()
	var seqs []int64
	for rows.Next() {
		inc, seq, err := scanIncident(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list incidents of %s: %w", tenant, err)
		}
		page, seqs = append(page, inc), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list incidents of %s: %w", tenant, err)
	}
	if len(page) > q.Limit {
		page = page[:q.Limit]
		next = strconv.FormatInt(seqs[q.Limit-1], 10)
	}
	return page, next, nil
}

// Incident returns one incident by id; found is false if there is none.
func (s *Store) Incident(ctx context.Context, tenant, id string) (inc Incident, found bool, err error) {
	inc, _, err = scanIncident(s.pool.QueryRow(ctx, `SELECT `+incidentColumns+` FROM incidents
		WHERE tenant_id = $1 AND incident_id = $2`, tenant, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Incident{}, false, nil
	}
	if err != nil {
		return Incident{}, false, fmt.Errorf("incident %s: %w", id, err)
	}
	return inc, true, nil
}
