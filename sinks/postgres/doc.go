// Package postgres is Pulse's Postgres: tenant settings, the alert history,
// and the warm start's reads of the commerce system's order history. It
// uses one pgx pool (Open checks the server, New connects lazily) and
// imports only events/; cmd/pulse adapts it to what processors declare.
//
// # Tables
//
// Migrations are embedded (migrations/NNNN_name.sql) and applied by
// Migrate (`pulse migrate`, or `pulse run --migrate-on-start`), each in its
// own transaction, recorded in schema_migrations with its checksum, under
// an advisory lock so replicas starting together apply each once. Migrate
// is idempotent; a recorded migration whose file changed is an error.
//
//   - tenant_settings (tenant_id pk, time_zone, currency, window_sizes
//     text[], detector jsonb, updated_at): detector is
//     {"*": {...}, "revenue": {"method": "robust", "threshold": 3,
//     "critical": 5}}, "*" applying to every metric without its own entry;
//     currency is what commerce.orders amounts are in (the table has none;
//     default USD).
//   - muted_periods (tenant_id, metric NULL = every metric, starts_at,
//     ends_at, reason): no incident is published that opens in a window
//     overlapping the period (Live.Allow), e.g. a planned sale.
//   - settings_revision: one counter, moved by statement triggers on every
//     insert, update, delete or truncate of the two tables above.
//   - incidents (incident_id pk, tenant, metric, window size, currency,
//     state, severity, peak severity and score, opened/escalated/resolved/
//     updated timestamps, first and last window, latest figures and
//     message, first and last insight id, updates) and incident_insights
//     (every insight id applied).
//   - commerce.orders is not Pulse's: the original platform's table,
//     read-only (testdata/postgres/commerce_orders.sql has its DDL).
//
// # Idempotence
//
// RecordInsight is idempotent by insight id (incident_insights): a replay
// changes nothing, not even the update count. The merge into incidents is
// monotone, so insights of one incident give the same row in any order:
// opened_at, escalated_at, first window and first insight from the
// earliest; severity, figures, message and last window from the latest;
// peak score and severity are maxima; the state never goes from resolved
// back to open. Migrate is idempotent. WarmStart only reads.
//
// # Refresh
//
// LoadSettings reads one consistent snapshot (repeatable read). Settings
// is immutable; Live holds the current one for readers on any goroutine.
// WatchSettings polls settings_revision (default every 10s; pulse run's
// --settings-refresh) and loads a new snapshot only when it moved, deletes
// included. A bad field in one row (unknown zone or currency, invalid
// detector entry) is logged and ignored; the rest of the row applies.
//
// # Failure
//
// Postgres down never stops the pipeline. The HistoryWriter takes insights
// from Outputs.Observe without blocking into a bounded queue (default
// 10,000) that one goroutine writes in order, retrying each with jittered
// exponential backoff (100ms to 30s) until it is written or Close gives
// up; a full queue drops and counts (Dropped), Close past its deadline
// counts what it abandons (Abandon). Settings keep the last good snapshot
// while polls fail and resume on recovery; with Postgres down at start
// the process runs on its flag defaults until the first load succeeds. The
// warm start is skipped for what it cannot read: those tenants warm up
// live, as without Postgres.
//
// # Warm start
//
// WarmStart rebuilds a tenant's closed windows per size from the order
// history with one GROUP BY per size (date_bin on the Unix epoch for
// fixed sizes, date_trunc in the tenant's zone for calendar days), up to
// the start of the window containing now, with exact money: each
// total_amount is rounded half away from zero to minor units in numeric,
// then summed. Status mapping (WarmConfig): completed counts as completed,
// refunded as completed and refunded (net revenue 0), cancelled/canceled
// as cancelled, anything else only as created. One approximation: the
// table has an order's current status and creation time only, so its
// completion, cancellation or refund counts in its creation window. The
// windows go to detect.Monitor.Seed, oldest first, before the live ones.
//
// # Concurrency
//
// Store, Live and HistoryWriter are safe for concurrent use; Settings is
// immutable. WatchSettings calls onChange from its own goroutine, one call
// at a time.
package postgres
