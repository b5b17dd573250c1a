package localfile

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/sinks/bigquery"
)

func TestWritesOneFolderPerTableAndDay(t *testing.T) {
	dir := t.TempDir()
	w, err := New(Config{Dir: dir, Batch: bigquery.BatchPolicy{MaxRows: 7, MaxAge: time.Millisecond}}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	days := []time.Time{time.Date(2026, 5, 1, 23, 59, 0, 0, time.UTC), time.Date(2026, 5, 2, 0, 1, 0, 0, time.UTC)}
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			o := &events.Order{EventID: "e" + string(rune('A'+i)), Type: events.OrderCompleted, TenantID: "t", OrderID: "o",
				Amount: 12345, Currency: "USD", OccurredAt: days[i%2], Items: []events.Item{{SKU: "s", Quantity: 1, UnitPrice: 12345}}}
			// the file must hold the row when WriteOrder returns
			if err := w.WriteOrder(context.Background(), o, bigquery.OrderMeta{IngestedAt: time.Now()}); err != nil {
				t.Error(err)
			} else if !fileHas(t, dir, "orders", o.OccurredAt, o.EventID) {
				t.Errorf("%s acknowledged but not in its file", o.EventID)
			}
		})
	}
	wg.Wait()
	in := events.Insight{InsightID: "ins1", TenantID: "t", Kind: events.KindWindowMetrics,
		Window:  events.Window{Start: days[0], End: days[0].Add(time.Minute), Size: "1m"},
		Metrics: &events.WindowMetrics{Currency: "JPY", Orders: 1, CompletedOrders: 1, CompletedRevenue: 500, Revenue: 500}, GeneratedAt: days[1]}
	if err := w.WriteInsight(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	var got []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, filepath.Dir(p))
			got = append(got, rel)
		}
		return nil
	})
	sort.Strings(got)
	want := []string{"orders/2026-05-01", "orders/2026-05-02", "tenant_metrics/2026-05-01"}
	if len(got) != len(want) {
		t.Fatalf("files in %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("files in %v, want %v", got, want)
		}
	}
	rows := readRows(t, dir, "orders")
	if len(rows) != n {
		t.Fatalf("%d order rows, want %d", len(rows), n)
	}
	if rows[0]["total_amount"] != "123.45" {
		t.Errorf("total_amount %v, want exact \"123.45\"", rows[0]["total_amount"])
	}
	m := readRows(t, dir, "tenant_metrics")
	if len(m) != 1 || m[0]["completed_revenue"] != "500" || m[0]["average_order_value"] != "500" {
		t.Errorf("tenant_metrics rows %v", m)
	}
	if st := w.Stats(); st.RowsWritten != n+1 {
		t.Errorf("stats %+v", st)
	}
	if err := w.WriteOrder(context.Background(), &events.Order{}, bigquery.OrderMeta{}); err != bigquery.ErrClosed {
		t.Errorf("write after close: %v", err)
	}
}

func fileHas(t *testing.T, dir, table string, at time.Time, id string) bool {
	for _, r := range readDay(t, filepath.Join(dir, table, at.UTC().Format(time.DateOnly)), false) {
		if r["event_id"] == id {
			return true
		}
	}
	return false
}

func readRows(t *testing.T, dir, table string) []map[string]any {
	var out []map[string]any
	days, _ := os.ReadDir(filepath.Join(dir, table))
	for _, d := range days {
		out = append(out, readDay(t, filepath.Join(dir, table, d.Name()), true)...)
	}
	return out
}

// readDay reads a day folder's rows. While writes go on, the last line of a
// file may be half written; strict is false then and such a line is skipped.
func readDay(t *testing.T, dir string, strict bool) []map[string]any {
	var out []map[string]any
	files, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Error(err)
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				if strict {
					t.Errorf("%s: bad line %q: %v", f, sc.Text(), err)
				}
				continue
			}
			out = append(out, m)
		}
		fh.Close()
	}
	return out
}
