package bigquery

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"cloud.google.com/go/bigquery"
	"github.com/rs/zerolog"
	"google.golang.org/api/googleapi"
)

// Init creates the dataset, the tables and the analyst views, idempotently:
// what exists is kept, except that views are updated to the current SQL and
// tables gain the schema's new columns (additive changes only).
func Init(ctx context.Context, c *bigquery.Client, cfg Config, log zerolog.Logger) error {
	cfg = cfg.WithDefaults()
	ds := c.Dataset(cfg.Dataset)
	// Look before creating: the emulator answers a duplicate create with
	// 500, not 409.
	_, err := ds.Metadata(ctx)
	switch {
	case err == nil:
	case isCode(err, http.StatusNotFound):
		err = ds.Create(ctx, &bigquery.DatasetMetadata{
			Location:    cfg.Location,
			Description: "Pulse: order events, window metrics and insights.",
		})
		if err != nil && !isCode(err, http.StatusConflict) {
			return fmt.Errorf("create dataset %s: %w", cfg.Dataset, err)
		}
		log.Info().Str("dataset", cfg.Dataset).Msg("dataset created")
	default:
		return fmt.Errorf("read dataset %s: %w", cfg.Dataset, err)
	}
	for _, spec := range Tables {
		if err := ensureTable(ctx, ds, spec, log); err != nil {
			return err
		}
	}
	for _, v := range Views {
		sql, err := ViewSQL(v, cfg.Project, cfg.Dataset)
		if err != nil {
			return err
		}
		if err := ensureView(ctx, ds.Table(v), sql, log); err != nil {
			return err
		}
	}
	return nil
}

func ensureTable(ctx context.Context, ds *bigquery.Dataset, spec TableSpec, log zerolog.Logger) error {
	schema, err := Schema(spec.Name)
	if err != nil {
		return err
	}
	t := ds.Table(spec.Name)
	md, err := t.Metadata(ctx)
	if isCode(err, http.StatusNotFound) {
		err = t.Create(ctx, &bigquery.TableMetadata{
			Description:      spec.Description,
			Schema:           schema,
			TimePartitioning: &bigquery.TimePartitioning{Type: bigquery.DayPartitioningType, Field: spec.Partition},
			Clustering:       &bigquery.Clustering{Fields: spec.Clustering},
		})
		if err == nil {
			log.Info().Str("table", spec.Name).Msg("table created")
			return nil
		}
		if !isCode(err, http.StatusConflict) {
			return fmt.Errorf("create table %s: %w", spec.Name, err)
		}
		md, err = t.Metadata(ctx)
	}
	if err != nil {
		return fmt.Errorf("read table %s: %w", spec.Name, err)
	}
	have := map[string]bool{}
	for _, f := range md.Schema {
		have[f.Name] = true
	}
	merged := append(bigquery.Schema{}, md.Schema...)
	var added []string
	for _, f := range schema {
		if !have[f.Name] {
			g := *f
			if g.Required {
				g.Required = false // BigQuery only adds NULLABLE columns
			}
			merged = append(merged, &g)
			added = append(added, f.Name)
		}
	}
	if len(added) == 0 {
		return nil
	}
	if _, err := t.Update(ctx, bigquery.TableMetadataToUpdate{Schema: merged}, md.ETag); err != nil {
		return fmt.Errorf("add columns %v to %s: %w", added, spec.Name, err)
	}
	log.Info().Str("table", spec.Name).Strs("columns", added).Msg("table columns added")
	return nil
}

func ensureView(ctx context.Context, t *bigquery.Table, sql string, log zerolog.Logger) error {
	md, err := t.Metadata(ctx)
	if isCode(err, http.StatusNotFound) {
		err = t.Create(ctx, &bigquery.TableMetadata{ViewQuery: sql})
		if err == nil {
			log.Info().Str("view", t.TableID).Msg("view created")
			return nil
		}
		if !isCode(err, http.StatusConflict) {
			return fmt.Errorf("create view %s: %w", t.TableID, err)
		}
		md, err = t.Metadata(ctx)
	}
	if err != nil {
		return fmt.Errorf("read view %s: %w", t.TableID, err)
	}
	if md.ViewQuery == sql {
		return nil
	}
	if _, err := t.Update(ctx, bigquery.TableMetadataToUpdate{ViewQuery: sql}, md.ETag); err != nil {
		return fmt.Errorf("update view %s: %w", t.TableID, err)
	}
	log.Info().Str("view", t.TableID).Msg("view updated")
	return nil
}

func isCode(err error, code int) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == code
}
