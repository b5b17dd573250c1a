package bigquery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/googleapi"

	"github.com/olympus-cloud/pulse/events"
)

// fakeInserter is an in-memory table store with scripted faults. It records
// which insert ids are durably stored, so tests can check that a write was
// acknowledged only after its row was stored.
type fakeInserter struct {
	mu     sync.Mutex
	stored map[string]int // insert id -> copies stored
	calls  int
	fault  func(call int, rows []*Row) error // nil: store everything
}

func newFake() *fakeInserter { return &fakeInserter{stored: map[string]int{}} }

func (f *fakeInserter) Insert(ctx context.Context, table string, rows []*Row) error {
	f.mu.Lock()
	f.calls++
	call := f.calls
	f.mu.Unlock()
	var err error
	if f.fault != nil {
		err = f.fault(call, rows)
	}
	var pm bigquery.PutMultiError
	failed := map[int]bool{}
	if errors.As(err, &pm) {
		for _, re := range pm {
			failed[re.RowIndex] = true
		}
	} else if err != nil {
		return err
	}
	f.mu.Lock()
	for i, r := range rows {
		if !failed[i] {
			f.stored[r.InsertID]++
		}
	}
	f.mu.Unlock()
	return err
}

func (f *fakeInserter) has(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stored[id] > 0
}

func fastConfig() Config {
	return Config{
		Project: "p",
		Batch:   BatchPolicy{MaxRows: 16, MaxAge: 2 * time.Millisecond},
		Retry:   RetryPolicy{Initial: time.Millisecond, Max: 4 * time.Millisecond, MaxAttempts: 6},
	}
}

func order(i int) *events.Order {
	return &events.Order{
		EventID: fmt.Sprintf("e%04d", i), Type: events.OrderCreated, TenantID: "t", OrderID: "o",
		Amount: int64(i), Currency: "USD", OccurredAt: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
	}
}

// writeAll writes orders 0..n-1 concurrently and checks, at the moment each
// write returns nil, that the fake already stored the row.
func writeAll(t *testing.T, w *Writer, f *fakeInserter, n int) []error {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			o := order(i)
			errs[i] = w.WriteOrder(context.Background(), o, OrderMeta{IngestedAt: time.Now()})
			if errs[i] == nil && !f.has(o.EventID) {
				t.Errorf("%s acknowledged before it was stored", o.EventID)
			}
		})
	}
	wg.Wait()
	return errs
}

func TestTransientErrorsRetried(t *testing.T) {
	// Every row's first two attempts fail: a 503, then a dial error.
	f := newFake()
	tries := map[string]int{}
	var mu sync.Mutex
	f.fault = func(call int, rows []*Row) error {
		mu.Lock()
		defer mu.Unlock()
		least := 1 << 30
		for _, r := range rows {
			tries[r.InsertID]++
			least = min(least, tries[r.InsertID])
		}
		switch least {
		case 1:
			return &googleapi.Error{Code: http.StatusServiceUnavailable, Message: "backend unavailable"}
		case 2:
			return fmt.Errorf("dial tcp: connection refused")
		}
		return nil
	}
	w := newWriter(fastConfig(), f, testLogger(t), time.Now)
	for i, err := range writeAll(t, w, f, 100) {
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := w.Stats()
	if st.RowsWritten != 100 || st.Retries == 0 || st.RowsRejected != 0 {
		t.Fatalf("stats %+v: want 100 written, some retries, none rejected", st)
	}
}

func TestRowErrors(t *testing.T) {
	// Row ids ending in 7 are invalid; ids ending in 3 are "stopped" on
	// their first try (valid rows held back by an invalid one).
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
				pm = append(pm, bigquery.RowInsertionError{InsertID: r.InsertID, RowIndex: i, Errors: bigquery.MultiError{&bigquery.Error{Reason: "invalid", Location: "total_amount", Message: "bad numeric"}}})
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
	w := newWriter(fastConfig(), f, testLogger(t), time.Now)
	errs := writeAll(t, w, f, 60)
	for i, err := range errs {
		id := order(i).EventID
		var re *RowError
		if strings.HasSuffix(id, "7") {
			if !errors.As(err, &re) || re.Reason != events.ReasonSinkRejected || re.InsertID != id || !strings.Contains(re.Detail, "bad numeric") {
				t.Errorf("%s: %v, want a RowError with BigQuery's reason", id, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	w.Close(context.Background())
	if st := w.Stats(); st.RowsRejected != 6 || st.RowsWritten != 54 {
		t.Fatalf("stats %+v: want 6 rejected, 54 written", st)
	}
}

func TestBadRequestIsolatesRow(t *testing.T) {
	f := newFake()
	f.fault = func(call int, rows []*Row) error {
		for _, r := range rows {
			if r.InsertID == "e0005" {
				return &googleapi.Error{Code: http.StatusBadRequest, Message: "invalid request", Errors: []googleapi.ErrorItem{{Reason: "invalid"}}}
			}
		}
		return nil
	}
	cfg := fastConfig()
	cfg.Batch.MaxAge = 50 * time.Millisecond // let the batch fill so it must be split
	w := newWriter(cfg, f, testLogger(t), time.Now)
	for i, err := range writeAll(t, w, f, 16) {
		var re *RowError
		if got := errors.As(err, &re); got != (i == 5) {
			t.Errorf("order %d: %v", i, err)
		} else if !got && err != nil {
			t.Errorf("order %d: %v", i, err)
		}
	}
	w.Close(context.Background())
}

func TestRetriesExhausted(t *testing.T) {
	f := newFake()
	f.fault = func(int, []*Row) error { return &googleapi.Error{Code: http.StatusInternalServerError} }
	w := newWriter(fastConfig(), f, testLogger(t), time.Now)
	for i, err := range writeAll(t, w, f, 5) {
		var re *RowError
		if !errors.Is(err, ErrRetriesExhausted) || errors.As(err, &re) {
			t.Errorf("order %d: %v, want ErrRetriesExhausted and no RowError", i, err)
		}
	}
	w.Close(context.Background())
	if st := w.Stats(); st.RowsFailed != 5 || st.RowsWritten != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCloseFlushesPending(t *testing.T) {
	f := newFake()
	cfg := fastConfig()
	cfg.Batch.MaxAge = time.Hour // only Close can flush
	cfg.Batch.MaxRows = 1000
	w := newWriter(cfg, f, testLogger(t), time.Now)
	errc := make(chan error, 3)
	for i := range 3 {
		go func() { errc <- w.WriteOrder(context.Background(), order(i), OrderMeta{}) }()
	}
	// Close may begin before a writer submits; such a write gets ErrClosed
	// (a nack), never a silent drop.
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		err := <-errc
		if err != nil && !errors.Is(err, ErrClosed) {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	if got := w.Stats().RowsWritten; int(got) != len(f.stored) {
		t.Fatalf("%d rows written, fake stored %d", got, len(f.stored))
	}
}

func TestWriteInsightRouting(t *testing.T) {
	f := newFake()
	var mu sync.Mutex
	tables := map[string]string{}
	f.fault = func(_ int, rows []*Row) error {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range rows {
			tables[r.InsertID] = r.Table
		}
		return nil
	}
	w := newWriter(fastConfig(), f, testLogger(t), time.Now)
	defer w.Close(context.Background())
	win := events.Window{Start: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), End: time.Date(2026, 5, 1, 12, 5, 0, 0, time.UTC), Size: "5m"}
	ctx := context.Background()
	m := &events.WindowMetrics{Currency: "USD", Orders: 3, CompletedOrders: 2, CompletedRevenue: 1001}
	for _, in := range []events.Insight{
		{InsightID: "m", TenantID: "t", Kind: events.KindWindowMetrics, Window: win, Metrics: m, GeneratedAt: win.End},
		{InsightID: "c", TenantID: "t", Kind: events.KindWindowCorrection, Window: win, Metrics: m, Revision: 1, GeneratedAt: win.End},
		{InsightID: "a", TenantID: "t", Kind: events.KindAnomalyOpened, Window: win, Metric: "revenue", GeneratedAt: win.End},
	} {
		if err := w.WriteInsight(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{"m": TableTenantMetrics, "c": TableTenantMetrics, "a": TableInsights}
	for id, table := range want {
		if tables[id] != table {
			t.Errorf("insight %s went to %q, want %q", id, tables[id], table)
		}
	}
	var re *RowError
	err := w.WriteInsight(ctx, events.Insight{InsightID: "x", Kind: events.KindWindowMetrics, Window: win})
	if !errors.As(err, &re) {
		t.Fatalf("window.metrics without metrics: %v, want RowError", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want []string // substrings of the joined error; none: valid
	}{
		{name: "defaults with project", cfg: Config{Project: "p"}},
		{name: "no project", cfg: Config{}, want: []string{"project is required"}},
		{name: "everything wrong", cfg: Config{Dataset: "a-b", Batch: BatchPolicy{MaxRows: -1, MaxBytes: 20 << 20, MaxAge: -time.Second}, Retry: RetryPolicy{Initial: time.Second, Max: time.Millisecond, MaxAttempts: -1}},
			want: []string{"project is required", "dataset", "max rows", "max bytes", "max age", "retry max", "max attempts"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestBackoffBounded(t *testing.T) {
	p := RetryPolicy{Initial: 100 * time.Millisecond, Max: time.Second}.WithDefaults()
	for attempt := 1; attempt < 40; attempt++ {
		for _, r := range []float64{0, 0.5, 0.999} {
			d := p.backoff(attempt, func() float64 { return r })
			full := min(p.Initial<<min(attempt-1, 20), p.Max)
			if d < full/2 || d > full {
				t.Fatalf("attempt %d r %v: %s outside [%s, %s]", attempt, r, d, full/2, full)
			}
		}
	}
}
