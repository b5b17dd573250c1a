package localfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	json "github.com/goccy/go-json"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/sinks/bigquery"
	"github.com/olympus-cloud/pulse/sinks/bigquery/internal/batch"
)

// DefaultDir is where rows go when Config.Dir is empty.
const DefaultDir = "./data/bigquery"

// maxOpenFiles bounds the file handles kept between flushes.
const maxOpenFiles = 64

// Config of the local writer. The zero value writes under DefaultDir with
// the BigQuery writer's batch defaults.
type Config struct {
	Dir   string
	Batch bigquery.BatchPolicy
	// Observer, when set, sees every flush and row outcome (metrics).
	Observer bigquery.Observer
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Dir == "" {
		c.Dir = DefaultDir
	}
	c.Batch = c.Batch.WithDefaults()
	return c
}

// Validate reports every problem with c (after defaults) at once.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	if st, err := os.Stat(c.Dir); err == nil && !st.IsDir() {
		errs = append(errs, fmt.Errorf("localfile: %s is not a directory", c.Dir))
	}
	errs = append(errs, c.Batch.Validate())
	return errors.Join(errs...)
}

// Writer appends rows to NDJSON files. Safe for concurrent use.
type Writer struct {
	cfg   Config
	log   zerolog.Logger
	now   func() time.Time
	part  string // file name, unique to this writer
	b     *batch.Batcher[*bigquery.Row]
	files map[string]*os.File // owned by the single flush worker

	rowsWritten, rowsRejected, rowsFailed, batches atomic.Int64
	flushNanos, maxFlushNanos                      atomic.Int64
}

// New validates cfg, creates the data directory and starts the batcher.
func New(cfg Config, log zerolog.Logger) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("localfile: %w", err)
	}
	w := &Writer{
		cfg:   cfg,
		log:   log,
		now:   time.Now,
		part:  "part-" + time.Now().UTC().Format("20060102T150405.000000000") + "-" + strconv.Itoa(os.Getpid()) + ".ndjson",
		files: map[string]*os.File{},
	}
	p := batch.Policy{MaxRows: cfg.Batch.MaxRows, MaxBytes: cfg.Batch.MaxBytes, MaxAge: cfg.Batch.MaxAge, Workers: 1}
	w.b = batch.New(p, w.flush)
	log.Info().Str("dir", cfg.Dir).Msg("writing BigQuery rows to local NDJSON files")
	return w, nil
}

// Dir is the data directory.
func (w *Writer) Dir() string { return w.cfg.Dir }

// WriteOrder appends one order row and returns once it is on disk.
func (w *Writer) WriteOrder(ctx context.Context, o *events.Order, m bigquery.OrderMeta) error {
	r := bigquery.OrderRow(o, m)
	return w.write(ctx, &r)
}

// WriteInsight appends an insight to tenant_metrics or insights.
func (w *Writer) WriteInsight(ctx context.Context, in events.Insight) error {
	r, err := bigquery.InsightRow(&in, w.now())
	if err != nil {
		w.rowsRejected.Add(1)
		if w.cfg.Observer != nil {
			w.cfg.Observer.Rows(bigquery.InsightTable(in.Kind), bigquery.OutcomeRejected, 1)
		}
		return err
	}
	return w.write(ctx, &r)
}

func (w *Writer) write(ctx context.Context, r *bigquery.Row) error {
	err := w.b.Submit(ctx, r, r.Size)
	if errors.Is(err, batch.ErrClosed) {
		return bigquery.ErrClosed
	}
	return err
}

// Stats returns the writer's counters (Retries is always 0: a failed append
// is not retried here, the message is redelivered).
func (w *Writer) Stats() bigquery.Stats {
	return bigquery.Stats{
		RowsWritten:  w.rowsWritten.Load(),
		RowsRejected: w.rowsRejected.Load(),
		RowsFailed:   w.rowsFailed.Load(),
		Batches:      w.batches.Load(),
		FlushTime:    time.Duration(w.flushNanos.Load()),
		MaxFlushTime: time.Duration(w.maxFlushNanos.Load()),
	}
}

// Close flushes pending rows and closes the files, bounded by ctx.
func (w *Writer) Close(ctx context.Context) error {
	err := w.b.Close(ctx)
	// The flush worker has exited: the files are ours now.
	for k, f := range w.files {
		if cerr := f.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("localfile: close %s: %w", k, cerr))
		}
		delete(w.files, k)
	}
	return err
}

// flush appends a batch, one write and one fsync per (table, day) file.
func (w *Writer) flush(ctx context.Context, rows []*bigquery.Row) []error {
	start := time.Now()
	errs := make([]error, len(rows))
	groups := map[string][]int{}
	var order []string
	for i, r := range rows {
		k := filepath.Join(r.Table, r.Day)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	var buf []byte
	for _, k := range order {
		idx := groups[k]
		buf = buf[:0]
		var err error
		for _, i := range idx {
			var line []byte
			line, err = json.Marshal(rows[i].Values)
			if err != nil {
				errs[i] = fmt.Errorf("localfile: encode %s row %s: %w", rows[i].Table, rows[i].InsertID, err)
				continue
			}
			buf = append(append(buf, line...), '\n')
		}
		if err = w.append(k, buf); err != nil {
			w.log.Error().Err(err).Str("file", k).Msg("local row write failed; messages will be redelivered")
			for _, i := range idx {
				if errs[i] == nil {
					errs[i] = err
				}
			}
		}
	}
	d := time.Since(start)
	w.batches.Add(1)
	w.flushNanos.Add(int64(d))
	if int64(d) > w.maxFlushNanos.Load() {
		w.maxFlushNanos.Store(int64(d)) // single flush worker: no race on max
	}
	for _, err := range errs {
		if err == nil {
			w.rowsWritten.Add(1)
		} else {
			w.rowsFailed.Add(1)
		}
	}
	w.observe(d, rows, errs)
	return errs
}

// observe reports a flushed batch and its rows per table to the observer.
func (w *Writer) observe(took time.Duration, rows []*bigquery.Row, errs []error) {
	o := w.cfg.Observer
	if o == nil {
		return
	}
	o.Flushed(took)
	type tally struct{ written, failed int }
	byTable := map[string]*tally{}
	for i, r := range rows {
		t := byTable[r.Table]
		if t == nil {
			t = &tally{}
			byTable[r.Table] = t
		}
		if errs[i] == nil {
			t.written++
		} else {
			t.failed++
		}
	}
	for table, t := range byTable {
		if t.written > 0 {
			o.Rows(table, bigquery.OutcomeWritten, t.written)
		}
		if t.failed > 0 {
			o.Rows(table, bigquery.OutcomeFailed, t.failed)
		}
	}
}

// append writes b to the file of key and fsyncs it; on failure it truncates
// the file back so no partial line remains.
func (w *Writer) append(key string, b []byte) error {
	f, err := w.file(key)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("localfile: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		if terr := f.Truncate(st.Size()); terr != nil {
			err = errors.Join(err, terr)
		}
		w.drop(key)
		return fmt.Errorf("localfile: write %s: %w", key, err)
	}
	if err := f.Sync(); err != nil {
		w.drop(key)
		return fmt.Errorf("localfile: sync %s: %w", key, err)
	}
	return nil
}

func (w *Writer) file(key string) (*os.File, error) {
	if f, ok := w.files[key]; ok {
		return f, nil
	}
	if len(w.files) >= maxOpenFiles {
		for k := range w.files {
			w.drop(k)
		}
	}
	dir := filepath.Join(w.cfg.Dir, key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("localfile: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, w.part), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("localfile: %w", err)
	}
	w.files[key] = f
	return f, nil
}

func (w *Writer) drop(key string) {
	if f, ok := w.files[key]; ok {
		if err := f.Close(); err != nil {
			w.log.Warn().Err(err).Str("file", key).Msg("close local file")
		}
		delete(w.files, key)
	}
}

// WritePairs appends a tenant's recommendation pair rows and returns once
// they are on disk, with one error per row (nil slice: all written).
func (w *Writer) WritePairs(ctx context.Context, rows []bigquery.PairRow) []error {
	submitted := 0
	errs := bigquery.SubmitPairs(ctx, rows, w.cfg.Batch.MaxBytes, func(ctx context.Context, enc []*bigquery.Row, sizes []int) []error {
		submitted = len(enc)
		errs := w.b.SubmitAll(ctx, enc, sizes)
		for j, err := range errs {
			if errors.Is(err, batch.ErrClosed) {
				errs[j] = bigquery.ErrClosed
			}
		}
		return errs
	})
	w.rowsRejected.Add(int64(len(rows) - submitted))
	return errs
}
