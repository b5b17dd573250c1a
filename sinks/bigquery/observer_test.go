package bigquery

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"

	"github.com/olympus-cloud/pulse/events"
)

// obsRecorder tallies what an Observer is told.
type obsRecorder struct {
	mu      sync.Mutex
	flushes int
	total   time.Duration
	rows    map[string]map[Outcome]int
	retries int
}

func newObsRecorder() *obsRecorder { return &obsRecorder{rows: map[string]map[Outcome]int{}} }

func (r *obsRecorder) Flushed(took time.Duration) {
	r.mu.Lock()
	r.flushes++
	r.total += took
	r.mu.Unlock()
}

func (r *obsRecorder) Rows(table string, o Outcome, n int) {
	r.mu.Lock()
	if r.rows[table] == nil {
		r.rows[table] = map[Outcome]int{}
	}
	r.rows[table][o] += n
	r.mu.Unlock()
}

func (r *obsRecorder) Retried() { r.mu.Lock(); r.retries++; r.mu.Unlock() }

// The observer hears every flush, retry and row outcome, per table, and
// agrees with the writer's own Stats.
func TestObserverAgreesWithStats(t *testing.T) {
	f := newFake()
	seen := map[string]bool{}
	var mu sync.Mutex
	f.fault = func(call int, rows []*Row) error {
		mu.Lock()
		defer mu.Unlock()
		var pm bigquery.PutMultiError
		for i, r := range rows {
			switch {
			case strings.HasSuffix(r.InsertID, "7"):
				pm = append(pm, bigquery.RowInsertionError{InsertID: r.InsertID, RowIndex: i, Errors: bigquery.MultiError{&bigquery.Error{Reason: "invalid"}}})
			case strings.HasSuffix(r.InsertID, "3") && !seen[r.InsertID]:
				seen[r.InsertID] = true
				pm = append(pm, bigquery.RowInsertionError{InsertID: r.InsertID, RowIndex: i, Errors: bigquery.MultiError{&bigquery.Error{Reason: "stopped"}}})
			}
		}
		if len(pm) == 0 {
			return nil
		}
		return pm
	}
	rec := newObsRecorder()
	cfg := fastConfig()
	cfg.Observer = rec
	w := newWriter(cfg, f, testLogger(t), time.Now)
	writeAll(t, w, f, 40)
	win := events.Window{Start: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), End: time.Date(2026, 5, 1, 13, 0, 0, 0, time.UTC), Size: "1h"}
	ctx := context.Background()
	if err := w.WriteInsight(ctx, events.Insight{InsightID: "m1", TenantID: "t", Kind: events.KindWindowMetrics, Window: win,
		Metrics: &events.WindowMetrics{Currency: "USD", Orders: 1}, GeneratedAt: win.End}); err != nil {
		t.Fatal(err)
	}
	// Refused before batching: a window insight without its figures.
	if err := w.WriteInsight(ctx, events.Insight{InsightID: "m2", Kind: events.KindWindowMetrics, Window: win}); err == nil {
		t.Fatal("window.metrics without metrics accepted")
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	want := map[string]map[Outcome]int{
		TableOrders:        {OutcomeWritten: 36, OutcomeRejected: 4},
		TableTenantMetrics: {OutcomeWritten: 1, OutcomeRejected: 1},
	}
	for table, outcomes := range want {
		for o, n := range outcomes {
			if rec.rows[table][o] != n {
				t.Errorf("%s %s rows observed %d, want %d (all: %v)", table, o, rec.rows[table][o], n, rec.rows)
			}
		}
	}
	var written, rejected, failed int
	for _, m := range rec.rows {
		written, rejected, failed = written+m[OutcomeWritten], rejected+m[OutcomeRejected], failed+m[OutcomeFailed]
	}
	if int64(written) != st.RowsWritten || int64(rejected) != st.RowsRejected || int64(failed) != st.RowsFailed {
		t.Errorf("observed %d/%d/%d written/rejected/failed, stats %+v", written, rejected, failed, st)
	}
	if int64(rec.flushes) != st.Batches || rec.total != st.FlushTime || rec.flushes == 0 {
		t.Errorf("observed %d flushes taking %s, stats %+v", rec.flushes, rec.total, st)
	}
	if int64(rec.retries) != st.Retries || rec.retries == 0 {
		t.Errorf("observed %d retries, stats %+v", rec.retries, st)
	}
}
