package bigquery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"cloud.google.com/go/bigquery"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/sinks/bigquery/internal/batch"
)

// Writer streams rows into the four tables with tabledata.insertAll. It is
// safe for concurrent use; each table has its own batcher.
type Writer struct {
	cfg     Config
	ins     inserter
	client  *bigquery.Client // nil when built around a test inserter
	log     zerolog.Logger
	now     func() time.Time
	tables  map[string]*batch.Batcher[*Row]
	counter counters
	closed  sync.Once
}

// New validates cfg, dials BigQuery and starts the batchers. It does not
// create tables: run Init (pulse bq init) first.
func New(ctx context.Context, cfg Config, log zerolog.Logger) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	c, err := NewClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	w := newWriter(cfg, clientInserter{ds: c.Dataset(cfg.Dataset)}, log, time.Now)
	w.client = c
	return w, nil
}

func newWriter(cfg Config, ins inserter, log zerolog.Logger, now func() time.Time) *Writer {
	cfg = cfg.WithDefaults()
	w := &Writer{cfg: cfg, ins: ins, log: log, now: now, tables: map[string]*batch.Batcher[*Row]{}}
	p := batch.Policy{MaxRows: cfg.Batch.MaxRows, MaxBytes: cfg.Batch.MaxBytes, MaxAge: cfg.Batch.MaxAge, Workers: cfg.Batch.Workers}
	for _, t := range Tables {
		table := t.Name
		w.tables[table] = batch.New(p, func(ctx context.Context, rows []*Row) []error {
			return w.flush(ctx, table, rows)
		})
	}
	return w
}

// WriteOrder writes one order row and returns once the batch holding it is
// in BigQuery. A *RowError means BigQuery refused the row for good
// (dead-letter and ack); any other error means nack.
func (w *Writer) WriteOrder(ctx context.Context, o *events.Order, m OrderMeta) error {
	r := OrderRow(o, m)
	return w.write(ctx, &r)
}

// WriteInsight writes an insight to tenant_metrics (window.metrics and
// window.correction) or insights (every other kind), with WriteOrder's
// blocking and error semantics.
func (w *Writer) WriteInsight(ctx context.Context, in events.Insight) error {
	r, err := InsightRow(&in, w.now())
	if err != nil {
		w.counter.rowsRejected.Add(1)
		w.refused(InsightTable(in.Kind))
		return err
	}
	return w.write(ctx, &r)
}

func (w *Writer) write(ctx context.Context, r *Row) error {
	if r.Size > w.cfg.Batch.MaxBytes {
		w.counter.rowsRejected.Add(1)
		w.refused(r.Table)
		return rejected(r.Table, r.InsertID, fmt.Sprintf("row of about %d bytes exceeds the batch limit of %d", r.Size, w.cfg.Batch.MaxBytes))
	}
	err := w.tables[r.Table].Submit(ctx, r, r.Size)
	if errors.Is(err, batch.ErrClosed) {
		return ErrClosed
	}
	return err
}

// Stats returns the writer's counters.
func (w *Writer) Stats() Stats { return w.counter.snapshot() }

// Close flushes every pending row and stops, bounded by ctx; rows still
// unwritten when ctx ends fail (their callers nack).
func (w *Writer) Close(ctx context.Context) error {
	var errs []error
	for _, t := range Tables {
		if err := w.tables[t.Name].Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close %s batcher: %w", t.Name, err))
		}
	}
	w.closed.Do(func() {
		if w.client != nil {
			if err := w.client.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close bigquery client: %w", err))
			}
		}
	})
	return errors.Join(errs...)
}

// refused reports a row rejected before batching to the observer.
func (w *Writer) refused(table string) {
	if w.cfg.Observer != nil {
		w.cfg.Observer.Rows(table, OutcomeRejected, 1)
	}
}

// flush writes one batch and returns each row's outcome.
func (w *Writer) flush(ctx context.Context, table string, rows []*Row) []error {
	start := time.Now()
	errs := make([]error, len(rows))
	w.insert(ctx, table, rows, errs)
	took := time.Since(start)
	w.counter.flushed(took)
	observeFlush(w.cfg.Observer, table, took, errs)
	for _, err := range errs {
		var re *RowError
		switch {
		case err == nil:
			w.counter.rowsWritten.Add(1)
		case errors.As(err, &re):
			w.counter.rowsRejected.Add(1)
		default:
			w.counter.rowsFailed.Add(1)
		}
	}
	return errs
}

// insert sends rows with bounded retries, recording each row's outcome in
// errs (same index). Rows BigQuery accepted are never sent again within a
// flush; a row may still reach BigQuery twice when a response is lost, which
// the dedup views absorb.
func (w *Writer) insert(ctx context.Context, table string, rows []*Row, errs []error) {
	pending := make([]int, len(rows))
	for i := range pending {
		pending[i] = i
	}
	send := make([]*Row, 0, len(rows))
	for attempt := 1; ; attempt++ {
		send = send[:0]
		for _, i := range pending {
			send = append(send, rows[i])
		}
		actx, cancel := context.WithTimeout(ctx, w.cfg.Retry.AttemptTimeout)
		err := w.ins.Insert(actx, table, send)
		cancel()
		if err == nil {
			return
		}
		var retry []int
		switch classify(ctx, err) {
		case outcomeStopped:
			for _, i := range pending {
				errs[i] = fmt.Errorf("bigquery %s: stopped before the row was written: %w", table, ctx.Err())
			}
			return
		case outcomeBadRequest:
			if len(pending) == 1 {
				i := pending[0]
				errs[i] = rejected(table, rows[i].InsertID, err.Error())
				w.log.Warn().Str("table", table).Str("insert_id", rows[i].InsertID).Err(err).Msg("bigquery rejected row")
				return
			}
			// Split to find the bad rows; each half gets its own retries.
			h := len(pending) / 2
			for _, part := range [][]int{pending[:h], pending[h:]} {
				sub := make([]*Row, len(part))
				subErrs := make([]error, len(part))
				for j, i := range part {
					sub[j] = rows[i]
				}
				w.insert(ctx, table, sub, subErrs)
				for j, i := range part {
					errs[i] = subErrs[j]
				}
			}
			return
		case outcomeRowErrors:
			var pm bigquery.PutMultiError
			errors.As(err, &pm)
			for _, re := range pm {
				if re.RowIndex < 0 || re.RowIndex >= len(pending) {
					continue
				}
				i := pending[re.RowIndex]
				detail, permanent := rowErrorDetail(re)
				if permanent {
					errs[i] = rejected(table, rows[i].InsertID, detail)
					w.log.Warn().Str("table", table).Str("insert_id", rows[i].InsertID).Str("error", detail).Msg("bigquery rejected row")
					continue
				}
				errs[i] = fmt.Errorf("bigquery %s row %s: %s", table, rows[i].InsertID, detail)
				retry = append(retry, i)
			}
		default:
			retry = pending
			for _, i := range pending {
				errs[i] = err
			}
		}
		if len(retry) == 0 {
			return
		}
		if attempt >= w.cfg.Retry.MaxAttempts {
			for _, i := range retry {
				errs[i] = fmt.Errorf("%w after %d attempts: bigquery %s: %w", ErrRetriesExhausted, attempt, table, errs[i])
			}
			w.log.Error().Str("table", table).Int("rows", len(retry)).Int("attempts", attempt).Err(err).Msg("bigquery insert failed; rows will be redelivered")
			return
		}
		w.counter.retries.Add(1)
		if w.cfg.Observer != nil {
			w.cfg.Observer.Retried()
		}
		wait := w.cfg.Retry.backoff(attempt, jitter)
		w.log.Warn().Str("table", table).Int("rows", len(retry)).Int("attempt", attempt).Dur("backoff", wait).Err(err).Msg("bigquery insert failed; retrying")
		if serr := sleep(ctx, wait); serr != nil {
			for _, i := range retry {
				errs[i] = fmt.Errorf("bigquery %s: stopped before the row was written: %w", table, serr)
			}
			return
		}
		for _, i := range retry {
			errs[i] = nil
		}
		pending = retry
	}
}
