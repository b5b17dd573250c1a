package localfile

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/sinks/bigquery"
)

var update = flag.Bool("update", false, "rewrite testdata/bigquery golden files")

// TestGoldenRows pins the row format analysts load: one fixed order of each
// currency precision and one insight of each table, written through the
// local writer, compared byte for byte with testdata/bigquery/*.ndjson
// (also the sample files the README's bq load example uses).
func TestGoldenRows(t *testing.T) {
	dir := t.TempDir()
	w, err := New(Config{Dir: dir, Batch: bigquery.BatchPolicy{MaxRows: 1, MaxAge: time.Millisecond}}, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 12, 30, 15, 123456000, time.UTC)
	w.now = func() time.Time { return at.Add(time.Minute) }
	ctx := context.Background()
	for _, o := range []events.Order{
		{EventID: "evt-usd", Type: events.OrderCompleted, TenantID: "acme", OrderID: "ord-1", CustomerID: "cus-1", Status: "completed",
			Amount: 12990, Currency: "USD", OccurredAt: at, Items: []events.Item{{SKU: "tee", Quantity: 2, UnitPrice: 4995}, {SKU: "cap", Quantity: 1, UnitPrice: 3000}}},
		{EventID: "evt-jpy", Type: events.OrderCreated, TenantID: "acme", OrderID: "ord-2", Amount: 5400, Currency: "JPY", OccurredAt: at.Add(time.Second),
			Items: []events.Item{{SKU: "mug", Quantity: 3, UnitPrice: 1800}}},
		{EventID: "evt-kwd", Type: events.OrderRefunded, TenantID: "globex", OrderID: "ord-3", CustomerID: "cus-9", Status: "refunded",
			Amount: 1250, Currency: "KWD", OccurredAt: at.Add(2 * time.Second)},
	} {
		if err := w.WriteOrder(ctx, &o, bigquery.OrderMeta{PublishTime: o.OccurredAt.Add(time.Second), IngestedAt: o.OccurredAt.Add(2 * time.Second), MessageID: "m-" + o.EventID}); err != nil {
			t.Fatal(err)
		}
	}
	win := events.Window{Start: at.Truncate(time.Hour), End: at.Truncate(time.Hour).Add(time.Hour), Size: "1h"}
	m := &events.WindowMetrics{Currency: "USD", Orders: 3, CompletedOrders: 2, CancelledOrders: 1, CompletedRevenue: 25001, Revenue: 25001, UniqueCustomers: 2, UniqueCustomersExact: true, ItemsSold: 5}
	for _, in := range []events.Insight{
		{SchemaVersion: 1, InsightID: events.InsightID("acme", events.KindWindowMetrics, "", "USD", win, 0), TenantID: "acme", Kind: events.KindWindowMetrics,
			Currency: "USD", Window: win, Severity: events.SeverityInfo, GeneratedAt: win.End, Metrics: m},
		{SchemaVersion: 1, InsightID: events.InsightID("acme", events.KindAnomalyOpened, "revenue", "USD", win, 0), TenantID: "acme", Kind: events.KindAnomalyOpened,
			Metric: "revenue", Currency: "USD", Window: win, Observed: 250.01, Expected: 90, Band: events.Band{Low: 40, High: 140}, Score: 4.2,
			Severity: events.SeverityWarning, Method: "robust_z", History: 48, Message: "revenue far above normal", GeneratedAt: win.End, IncidentID: "inc-1"},
	} {
		if err := w.WriteInsight(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("..", "..", "..", "testdata", "bigquery")
	for _, table := range []string{bigquery.TableOrders, bigquery.TableTenantMetrics, bigquery.TableInsights} {
		files, _ := filepath.Glob(filepath.Join(dir, table, "*", "*.ndjson"))
		var got []byte
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, b...)
		}
		path := filepath.Join(golden, table+".ndjson")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s rows differ from %s (-update to accept):\ngot:\n%s\nwant:\n%s", table, path, got, want)
		}
	}
}
