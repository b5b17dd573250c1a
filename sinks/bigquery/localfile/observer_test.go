package localfile

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/sinks/bigquery"
)

type obsRecorder struct {
	mu      sync.Mutex
	flushes int
	rows    map[string]map[bigquery.Outcome]int
}

func (r *obsRecorder) Flushed(time.Duration) { r.mu.Lock(); r.flushes++; r.mu.Unlock() }
func (r *obsRecorder) Retried()              {}
func (r *obsRecorder) Rows(table string, o bigquery.Outcome, n int) {
	r.mu.Lock()
	if r.rows[table] == nil {
		r.rows[table] = map[bigquery.Outcome]int{}
	}
	r.rows[table][o] += n
	r.mu.Unlock()
}

// Rows observed as written, per table, are the lines in that table's
// files; a failed append is observed as failed.
func TestObserverCountsTheFileLines(t *testing.T) {
	dir := t.TempDir()
	rec := &obsRecorder{rows: map[string]map[bigquery.Outcome]int{}}
	w, err := New(Config{Dir: dir, Batch: bigquery.BatchPolicy{MaxRows: 5, MaxAge: time.Millisecond}, Observer: rec}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 23 {
		wg.Go(func() {
			o := &events.Order{EventID: "e" + string(rune('A'+i)), Type: events.OrderCreated, TenantID: "t", OrderID: "o",
				Amount: 100, Currency: "USD", OccurredAt: at}
			if err := w.WriteOrder(ctx, o, bigquery.OrderMeta{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	win := events.Window{Start: at, End: at.Add(time.Hour), Size: "1h"}
	for _, in := range []events.Insight{
		{InsightID: "m", TenantID: "t", Kind: events.KindWindowMetrics, Window: win, Metrics: &events.WindowMetrics{Currency: "USD"}, GeneratedAt: win.End},
		{InsightID: "a", TenantID: "t", Kind: events.KindAnomalyOpened, Window: win, Metric: "revenue", GeneratedAt: win.End},
	} {
		if err := w.WriteInsight(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteInsight(ctx, events.Insight{InsightID: "bad", Kind: events.KindWindowCorrection, Window: win}); err == nil {
		t.Fatal("window correction without metrics accepted")
	}
	// A day folder that cannot be created fails its rows.
	if err := os.WriteFile(dir+"/orders/2026-05-02", []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := &events.Order{EventID: "blocked", Type: events.OrderCreated, TenantID: "t", OrderID: "o", Amount: 1, Currency: "USD", OccurredAt: at.Add(24 * time.Hour)}
	if err := w.WriteOrder(ctx, o, bigquery.OrderMeta{}); err == nil {
		t.Fatal("row written into a folder that is a file")
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, table := range []string{bigquery.TableOrders, bigquery.TableTenantMetrics, bigquery.TableInsights} {
		if got, lines := rec.rows[table][bigquery.OutcomeWritten], len(readRows(t, dir, table)); got != lines || lines == 0 {
			t.Errorf("%s: observed %d rows written, files hold %d", table, got, lines)
		}
	}
	if rec.rows[bigquery.TableOrders][bigquery.OutcomeFailed] != 1 || rec.rows[bigquery.TableTenantMetrics][bigquery.OutcomeRejected] != 1 {
		t.Errorf("failed and rejected rows observed: %v", rec.rows)
	}
	if st := w.Stats(); int64(rec.flushes) != st.Batches {
		t.Errorf("observed %d flushes, stats %+v", rec.flushes, st)
	}
}
