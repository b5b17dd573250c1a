package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/windows"
)

// readSnapshot reads every settings table as of one instant.
var readSnapshot = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// DefaultCurrency is the currency of commerce.orders amounts for a tenant
// without settings: the original table has no currency column.
const DefaultCurrency = "USD"

// DetectorSettings override a metric's detector for one tenant. Zero fields
// keep the process default.
type DetectorSettings struct {
	// Method is a detect.Method name: auto, zscore, robust, seasonal or
	// poisson ("" keeps the default).
	Method    string  `json:"method,omitempty"`
	Threshold float64 `json:"threshold,omitempty"`
	Critical  float64 `json:"critical,omitempty"`
}

// AllMetrics is the detector key that applies to every metric without its
// own entry.
const AllMetrics = "*"

// TenantSettings are one tenant's row of tenant_settings.
type TenantSettings struct {
	TenantID string
	// Zone is the tenant's time zone (calendar days, seasonal baselines).
	Zone *time.Location
	// PreviousZone is the zone before the latest change (nil: the process
	// default, for a row inserted later) and ZoneChangedAt when that change
	// was saved; zero when the row's zone never changed.
	PreviousZone  *time.Location
	ZoneChangedAt time.Time
	// Currency is what commerce.orders amounts are in (warm start).
	Currency string
	// WindowSizes are the sizes the detectors score; empty: the default.
	WindowSizes []string
	// Detector maps a metric name (or AllMetrics) to its overrides.
	Detector  map[string]DetectorSettings
	UpdatedAt time.Time
}

// MutedPeriod silences anomaly alerts of a tenant's metric (every metric
// when Metric is "") in [Start, End).
type MutedPeriod struct {
	TenantID string
	Metric   string
	Start    time.Time
	End      time.Time
	Reason   string
}

// Settings is an immutable snapshot of every tenant's settings and muted
// periods. A nil *Settings answers as if no tenant had settings. Safe for
// concurrent use.
type Settings struct {
	// Revision is settings_revision at load: it moves on every change.
	Revision int64
	LoadedAt time.Time
	tenants  map[string]*TenantSettings
	muted    map[string][]MutedPeriod // by tenant, by start
}

// Tenant returns a tenant's settings, if it has a row.
func (s *Settings) Tenant(tenant string) (TenantSettings, bool) {
	if s == nil {
		return TenantSettings{}, false
	}
	t, ok := s.tenants[tenant]
	if !ok {
		return TenantSettings{}, false
	}
	return *t, true
}

// Tenants lists the tenants with settings, sorted.
func (s *Settings) Tenants() []string {
	if s == nil {
		return nil
	}
	out := make([]string, 0, len(s.tenants))
	for id := range s.tenants {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// Zone is the tenant's time zone, nil when it has none set (the process
// default applies).
func (s *Settings) Zone(tenant string) *time.Location {
	if t, ok := s.Tenant(tenant); ok {
		return t.Zone
	}
	return nil
}

// ZoneChangeMargin is how long after a zone change is saved it may start to
// apply: longer than any replica takes to read it (--settings-refresh), so
// no replica has cut a day the change moves. The change applies at the
// previous zone's first midnight after the margin.
const ZoneChangeMargin = time.Hour

// TenantZone is the tenant's calendar for windows.Config.TenantZone: its
// zone (def without a row), and after a change the zone before and when the
// change may apply. Every replica reading the same row gets the same Zone.
func (s *Settings) TenantZone(tenant string, def *time.Location) windows.Zone {
	t, ok := s.Tenant(tenant)
	if !ok || t.Zone == nil {
		return windows.Zone{Loc: def}
	}
	z := windows.Zone{Loc: t.Zone}
	if !t.ZoneChangedAt.IsZero() {
		prev := t.PreviousZone
		if prev == nil {
			prev = def
		}
		if prev.String() != t.Zone.String() {
			z.Previous, z.Since = prev, t.ZoneChangedAt.Add(ZoneChangeMargin)
		}
	}
	return z
}

// Zones maps every tenant with a zone to it: windows.Config.Zones.
func (s *Settings) Zones() map[string]*time.Location {
	out := map[string]*time.Location{}
	if s == nil {
		return out
	}
	for id, t := range s.tenants {
		if t.Zone != nil {
			out[id] = t.Zone
		}
	}
	return out
}

// Currency is the currency of the tenant's commerce.orders amounts
// (DefaultCurrency unless set).
func (s *Settings) Currency(tenant string) string {
	if t, ok := s.Tenant(tenant); ok && t.Currency != "" {
		return t.Currency
	}
	return DefaultCurrency
}

// WindowSizes are the sizes the tenant's detectors score; nil: the default.
func (s *Settings) WindowSizes(tenant string) []string {
	if t, ok := s.Tenant(tenant); ok && len(t.WindowSizes) > 0 {
		return t.WindowSizes
	}
	return nil
}

// Detector is the tenant's override of metric's detector: the metric's own
// entry, else the AllMetrics entry; ok is false when neither exists.
func (s *Settings) Detector(tenant, metric string) (DetectorSettings, bool) {
	t, ok := s.Tenant(tenant)
	if !ok {
		return DetectorSettings{}, false
	}
	if d, ok := t.Detector[metric]; ok {
		return d, true
	}
	d, ok := t.Detector[AllMetrics]
	return d, ok
}

// Muted reports whether a muted period covers the tenant's metric at.
func (s *Settings) Muted(tenant, metric string, at time.Time) bool {
	if s == nil {
		return false
	}
	for _, p := range s.muted[tenant] {
		if p.Start.After(at) {
			break
		}
		if at.Before(p.End) && (p.Metric == "" || p.Metric == metric) {
			return true
		}
	}
	return false
}

// MutedWindow reports whether a muted period overlaps the window
// [start, end) of the tenant's metric.
func (s *Settings) MutedWindow(tenant, metric string, start, end time.Time) bool {
	if s == nil {
		return false
	}
	for _, p := range s.muted[tenant] {
		if !p.Start.Before(end) {
			break
		}
		if start.Before(p.End) && (p.Metric == "" || p.Metric == metric) {
			return true
		}
	}
	return false
}

// MutedPeriods lists the tenant's muted periods by start.
func (s *Settings) MutedPeriods(tenant string) []MutedPeriod {
	if s == nil {
		return nil
	}
	return append([]MutedPeriod(nil), s.muted[tenant]...)
}

// knownMethods are detect's method names (sinks do not import processors).
var knownMethods = map[string]bool{"": true, "auto": true, "zscore": true, "robust": true, "seasonal": true, "poisson": true}

// Validate reports every problem with d at once.
func (d DetectorSettings) Validate() error {
	var errs []error
	if !knownMethods[d.Method] {
		errs = append(errs, fmt.Errorf("method %q: want auto, zscore, robust, seasonal or poisson", d.Method))
	}
	for name, v := range map[string]float64{"threshold": d.Threshold, "critical": d.Critical} {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			errs = append(errs, fmt.Errorf("%s %v: must be a finite non-negative number", name, v))
		}
	}
	if d.Threshold > 0 && d.Critical > 0 && d.Critical < d.Threshold {
		errs = append(errs, fmt.Errorf("critical %v: below threshold %v", d.Critical, d.Threshold))
	}
	return errors.Join(errs...)
}

// LoadSettings reads a snapshot of every tenant's settings and the muted
// periods not yet over at now, in one repeatable-read transaction. A row
// with an unknown zone, currency, or invalid detector keeps its other
// fields; the problem is logged and the bad field ignored, so one bad row
// cannot stop a refresh.
func (s *Store) LoadSettings(ctx context.Context, now time.Time) (*Settings, error) {
	tx, err := s.pool.BeginTx(ctx, readSnapshot)
	if err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	// Read-only: rolling back is how it ends.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	out := &Settings{LoadedAt: now, tenants: map[string]*TenantSettings{}, muted: map[string][]MutedPeriod{}}
	if err := tx.QueryRow(ctx, "SELECT revision FROM settings_revision").Scan(&out.Revision); err != nil {
		return nil, fmt.Errorf("load settings: revision: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT tenant_id, time_zone, coalesce(previous_time_zone, ''), zone_changed_at,
		currency, window_sizes, detector, updated_at FROM tenant_settings`)
	if err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	for rows.Next() {
		var t TenantSettings
		var zone, prev string
		var changed *time.Time
		var det []byte
		if err := rows.Scan(&t.TenantID, &zone, &prev, &changed, &t.Currency, &t.WindowSizes, &det, &t.UpdatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load settings: %w", err)
		}
		s.parseTenant(&t, zone, det)
		if changed != nil {
			t.ZoneChangedAt = changed.UTC()
			if prev != "" {
				// An unknown previous zone falls back to the default: the
				// row's own zone was validated when it was current.
				t.PreviousZone, _ = time.LoadLocation(prev)
			}
		}
		out.tenants[t.TenantID] = &t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load settings: %w", err)
	}
	rows, err = tx.Query(ctx, `SELECT tenant_id, coalesce(metric, ''), starts_at, ends_at, reason
		FROM muted_periods WHERE ends_at > $1 ORDER BY tenant_id, starts_at`, now)
	if err != nil {
		return nil, fmt.Errorf("load muted periods: %w", err)
	}
	for rows.Next() {
		var p MutedPeriod
		if err := rows.Scan(&p.TenantID, &p.Metric, &p.Start, &p.End, &p.Reason); err != nil {
			rows.Close()
			return nil, fmt.Errorf("load muted periods: %w", err)
		}
		p.Start, p.End = p.Start.UTC(), p.End.UTC()
		out.muted[p.TenantID] = append(out.muted[p.TenantID], p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load muted periods: %w", err)
	}
	return out, nil
}

func (s *Store) parseTenant(t *TenantSettings, zone string, det []byte) {
	warn := func(field string, err error) {
		s.log.Warn().Str("tenant_id", t.TenantID).Str("field", field).Err(err).Msg("tenant setting ignored")
	}
	if zone != "" {
		loc, err := time.LoadLocation(zone)
		if err != nil {
			warn("time_zone", err)
		} else {
			t.Zone = loc
		}
	}
	if _, ok := events.MinorDigits(t.Currency); !ok {
		warn("currency", fmt.Errorf("unknown currency %q", t.Currency))
		t.Currency = DefaultCurrency
	}
	if len(det) > 0 {
		var m map[string]DetectorSettings
		if err := json.Unmarshal(det, &m); err != nil {
			warn("detector", err)
		} else {
			for metric, d := range m {
				if err := d.Validate(); err != nil {
					warn("detector", fmt.Errorf("metric %s: %w", metric, err))
					delete(m, metric)
				}
			}
			t.Detector = m
		}
	}
	t.UpdatedAt = t.UpdatedAt.UTC()
}
