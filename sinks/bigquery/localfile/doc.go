// Package localfile is the embedded default of the BigQuery sink: with no
// BigQuery configured, `pulse run` writes the very rows the BigQuery writer
// would send (same encoder, same columns, NUMERIC amounts as exact decimal
// strings) as newline-delimited JSON under a data directory:
//
//	<dir>/<table>/<YYYY-MM-DD>/part-<start>-<pid>.ndjson
//
// one folder per table and partition day (orders by occurred_at,
// tenant_metrics by window_start, insights by generated_at,
// recommendation_pairs by computed_at, UTC), each file
// loadable with
//
//	bq load --source_format=NEWLINE_DELIMITED_JSON pulse.orders FILE sinks/bigquery/schema/orders.json
//
// Contract: the same method set as the BigQuery writer. WriteOrder and
// WriteInsight block until the batch holding the row has been appended and
// fsynced, then return nil; any error means "not written" (nack). Rows are
// batched across callers on count, bytes or age (default 500 rows, 5 MB,
// 1 s) and written by one goroutine, which owns the open files, so files
// need no locks. A failed append is truncated back, so a file never holds a
// partial line. Redeliveries are appended again; the dedup views collapse
// them after loading, exactly as in BigQuery.
//
// Defaults: Dir "./data/bigquery". Close flushes and closes every file.
package localfile
