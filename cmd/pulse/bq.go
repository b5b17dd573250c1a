package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/recommend"
	"github.com/olympus-cloud/pulse/sinks/bigquery"
	"github.com/olympus-cloud/pulse/sinks/bigquery/localfile"
)

// BqCmd groups the BigQuery administration commands.
type BqCmd struct {
	Init   BqInitCmd   `cmd:"" help:"Create the dataset, tables and analyst views (idempotent)."`
	Schema BqSchemaCmd `cmd:"" help:"Print a table's schema JSON, as bq mk and bq load take it."`
	Views  BqViewsCmd  `cmd:"" help:"Print the analyst views as CREATE OR REPLACE VIEW statements (for data loaded with bq load)."`
}

// BigQueryFlags select where order, window-metrics and insight rows go:
// BigQuery when a project is set, else NDJSON files under DataDir. RunCmd
// can embed it.
type BigQueryFlags struct {
	Project  string        `name:"bigquery-project" env:"PULSE_BIGQUERY_PROJECT" help:"BigQuery project; empty writes local NDJSON files instead."`
	Dataset  string        `name:"bigquery-dataset" env:"PULSE_BIGQUERY_DATASET" default:"pulse" help:"BigQuery dataset."`
	Endpoint string        `name:"bigquery-endpoint" env:"PULSE_BIGQUERY_ENDPOINT" help:"BigQuery API endpoint of an emulator, e.g. http://127.0.0.1:9050."`
	Location string        `name:"bigquery-location" env:"PULSE_BIGQUERY_LOCATION" help:"Dataset location for bq init (US, EU, ...)."`
	DataDir  string        `name:"bigquery-data-dir" env:"PULSE_BIGQUERY_DATA_DIR" default:"./data/bigquery" help:"Directory of the local NDJSON files when no project is set."`
	MaxRows  int           `name:"bigquery-batch-rows" env:"PULSE_BIGQUERY_BATCH_ROWS" default:"500" help:"Flush a table's batch at this many rows."`
	MaxAge   time.Duration `name:"bigquery-batch-age" env:"PULSE_BIGQUERY_BATCH_AGE" default:"1s" help:"Flush a batch at most this long after its first row."`
}

// Config is the BigQuery writer configuration the flags describe.
func (f BigQueryFlags) Config() bigquery.Config {
	return bigquery.Config{
		Project:  f.Project,
		Dataset:  f.Dataset,
		Endpoint: f.Endpoint,
		Location: f.Location,
		Batch:    bigquery.BatchPolicy{MaxRows: f.MaxRows, MaxAge: f.MaxAge},
	}
}

// rowSink is what both the BigQuery writer and the local file writer do.
type rowSink interface {
	WriteOrder(ctx context.Context, o *events.Order, m bigquery.OrderMeta) error
	WriteInsight(ctx context.Context, in events.Insight) error
	WritePairs(ctx context.Context, rows []bigquery.PairRow) []error
	Close(ctx context.Context) error
	Stats() bigquery.Stats
}

// pairRows lets the row sink take the shards' recommendation pairs
// (processors' pairWriter): processors/ and sinks/ may not import each
// other, so the fields are copied here, with recommend's insert id.
type pairRows struct{ rowSink }

func (s pairRows) WritePairs(ctx context.Context, rows []recommend.PairRow) []error {
	out := make([]bigquery.PairRow, len(rows))
	for i := range rows {
		r := &rows[i]
		out[i] = bigquery.PairRow{
			InsertID: r.InsertID(), TenantID: r.TenantID, ComputedAt: r.ComputedAt, SKUA: r.SKUA, SKUB: r.SKUB,
			PairCount: r.PairCount, PairCountError: r.PairCountError, CountA: r.CountA, CountB: r.CountB,
			Baskets: r.Baskets, Support: r.Support, ConfidenceAB: r.ConfidenceAB, ConfidenceBA: r.ConfidenceBA,
			Lift: r.Lift, HalfLifeHours: r.HalfLifeHours,
		}
	}
	return s.rowSink.WritePairs(ctx, out)
}

// openRowSink opens BigQuery when a project is configured, else the local
// NDJSON writer. obs (may be nil) sees its flushes and rows.
func openRowSink(ctx context.Context, f BigQueryFlags, obs bigquery.Observer, log zerolog.Logger) (rowSink, error) {
	if f.Project == "" {
		return localfile.New(localfile.Config{Dir: f.DataDir, Batch: f.Config().Batch, Observer: obs}, log)
	}
	cfg := f.Config()
	cfg.Observer = obs
	w, err := bigquery.New(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	log.Info().Str("project", f.Project).Str("dataset", f.Dataset).Str("endpoint", f.Endpoint).Msg("writing rows to BigQuery")
	return w, nil
}

// BqInitCmd creates the dataset, tables and views.
type BqInitCmd struct {
	BigQueryFlags
}

// Run creates what is missing and updates the views.
func (c *BqInitCmd) Run(g *Globals) error {
	if c.Project == "" {
		return fmt.Errorf("bq init needs a project: set --bigquery-project or PULSE_BIGQUERY_PROJECT")
	}
	cfg := c.Config()
	if err := cfg.Validate(); err != nil {
		return err
	}
	client, err := bigquery.NewClient(g.Ctx, cfg)
	if err != nil {
		return err
	}
	defer client.Close()
	if err := bigquery.Init(g.Ctx, client, cfg, g.Log); err != nil {
		return err
	}
	g.Log.Info().Str("project", cfg.Project).Str("dataset", cfg.WithDefaults().Dataset).Msg("bigquery dataset, tables and views ready")
	return nil
}

// BqSchemaCmd prints one table's schema.
type BqSchemaCmd struct {
	Table string `arg:"" enum:"orders,tenant_metrics,insights,recommendation_pairs" help:"Table (${enum})."`
}

// Run prints the schema JSON.
func (c *BqSchemaCmd) Run(g *Globals) error {
	b, err := bigquery.SchemaJSON(c.Table)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(b)
	return err
}

// BqViewsCmd prints the views' DDL.
type BqViewsCmd struct {
	Project string `name:"project" env:"PULSE_BIGQUERY_PROJECT" required:"" help:"Project of the dataset."`
	Dataset string `name:"dataset" env:"PULSE_BIGQUERY_DATASET" default:"pulse" help:"Dataset."`
}

// Run prints CREATE OR REPLACE VIEW statements in dependency order.
func (c *BqViewsCmd) Run(g *Globals) error {
	for _, v := range bigquery.Views {
		sql, err := bigquery.ViewSQL(v, c.Project, c.Dataset)
		if err != nil {
			return err
		}
		if _, err := fmt.Printf("CREATE OR REPLACE VIEW `%s.%s.%s` AS\n%s;\n\n", c.Project, c.Dataset, v, sql); err != nil {
			return err
		}
	}
	return nil
}
