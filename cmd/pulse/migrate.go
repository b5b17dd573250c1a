package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/processors/api"
	"github.com/olympus-cloud/pulse/sinks/postgres"
)

// MigrateCmd is `pulse migrate`: apply the embedded Postgres migrations.
type MigrateCmd struct {
	PostgresURL string        `name:"postgres-url" env:"PULSE_POSTGRES_URL" required:"" help:"Postgres connection string, e.g. postgres://pulse@db:5432/pulse?sslmode=require (search_path=SCHEMA picks the schema)."`
	Timeout     time.Duration `name:"timeout" env:"PULSE_MIGRATE_TIMEOUT" default:"2m" help:"Bound on connecting and migrating."`
}

// Run applies what is missing, under an advisory lock (replicas may run it
// at once), and prints each migration's outcome. Running it again applies
// nothing.
func (c *MigrateCmd) Run(g *Globals) error {
	ctx, cancel := context.WithTimeout(g.Ctx, c.Timeout)
	defer cancel()
	s, err := postgres.Open(ctx, c.PostgresURL, g.Log)
	if err != nil {
		return err
	}
	defer s.Close()
	res, err := s.Migrate(ctx)
	applied := 0
	for _, r := range res {
		what := "already applied"
		if r.Applied {
			what, applied = "applied", applied+1
		}
		fmt.Fprintf(os.Stdout, "%04d_%s\t%s\n", r.Version, r.Name, what)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stdout, "%d applied, %d already up to date\n", applied, len(res)-applied)
	return nil
}

// PostgresFlags are pulse run's Postgres options; RunCmd can embed it.
// Without --postgres-url, Pulse runs without Postgres: default settings, no
// warm start, incidents from the in-memory history only.
type PostgresFlags struct {
	PostgresURL     string        `name:"postgres-url" env:"PULSE_POSTGRES_URL" help:"Postgres of tenant settings and alert history (empty: none)."`
	MigrateOnStart  bool          `name:"migrate-on-start" env:"PULSE_MIGRATE_ON_START" help:"Apply the Postgres migrations at start (as pulse migrate does)."`
	SettingsRefresh time.Duration `name:"settings-refresh" env:"PULSE_SETTINGS_REFRESH" default:"30s" help:"How often tenant settings are checked for changes."`
	WarmStart       bool          `name:"warm-start" env:"PULSE_WARM_START" default:"true" negatable:"" help:"Seed the detectors from the order history table at start."`
	OrdersTable     string        `name:"warm-start-table" env:"PULSE_WARM_START_TABLE" default:"commerce.orders" help:"Order history table of the warm start."`
	StartTimeout    time.Duration `name:"postgres-start-timeout" env:"PULSE_POSTGRES_START_TIMEOUT" default:"30s" help:"Bound on reading settings and warm-start history at start; past it Pulse starts with what it has."`
}

// openPostgres opens the store for pulse run and reads the first settings
// snapshot. Only a failed --migrate-on-start stops the start: with
// Postgres down the store is still returned (it reconnects on use), the
// settings are nil (process defaults) until the watcher loads them, and the
// error says why, for a warning.
func openPostgres(ctx context.Context, f PostgresFlags, log zerolog.Logger) (*postgres.Store, *postgres.Settings, error) {
	s, err := postgres.New(f.PostgresURL, log)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.StartTimeout)
	defer cancel()
	if f.MigrateOnStart {
		if _, err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, nil, fmt.Errorf("--migrate-on-start: %w", err)
		}
	}
	st, err := s.LoadSettings(ctx, time.Now())
	if err != nil {
		return s, nil, fmt.Errorf("tenant settings not loaded, running on defaults until they are: %w", err)
	}
	return s, st, nil
}

// pgIncidents serves the API's incidents from the Postgres alert history.
type pgIncidents struct{ store *postgres.Store }

var _ api.IncidentSource = pgIncidents{}

// Incidents implements api.IncidentSource.
func (p pgIncidents) Incidents(ctx context.Context, tenant string, q api.IncidentQuery) ([]api.Incident, string, error) {
	page, next, err := p.store.Incidents(ctx, tenant, postgres.IncidentQuery{State: q.State, Cursor: q.Cursor, Limit: q.Limit})
	if errors.Is(err, postgres.ErrBadCursor) {
		return nil, "", api.ErrBadCursor
	}
	if err != nil {
		return nil, "", err
	}
	out := make([]api.Incident, len(page))
	for i, in := range page {
		out[i] = api.Incident{IncidentID: in.IncidentID, TenantID: in.TenantID, Metric: in.Metric, Currency: in.Currency,
			State: in.State, Severity: in.Severity, PeakSeverity: in.PeakSeverity, PeakScore: in.PeakScore,
			OpenedAt: in.OpenedAt, UpdatedAt: in.UpdatedAt, ResolvedAt: in.ResolvedAt, FirstWindow: in.FirstWindow,
			LastWindow: in.LastWindow, Observed: in.Observed, Expected: in.Expected, Band: in.Band, Message: in.Message,
			Updates: in.Updates}
	}
	return out, next, nil
}
