package localfile

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	bq "cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/sinks/bigquery"
	"github.com/olympus-cloud/pulse/sinks/bigquery/internal/bqemu"
)

// TestFilesLoadWithShippedSchemas writes rows (with a redelivery) to local
// files, loads every file into the emulator with a NEWLINE_DELIMITED_JSON
// load job and the shipped schema, as `bq load` would, and checks the
// dedup view and exact amounts.
func TestFilesLoadWithShippedSchemas(t *testing.T) {
	e := bqemu.Start(t, "pulse")
	ctx := context.Background()
	cfg := bigquery.Config{Project: e.Project, Dataset: e.Dataset, Endpoint: e.URL}
	c, err := bigquery.NewClient(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := bigquery.Init(ctx, c, cfg, bqemu.Logger(t)); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	w, err := New(Config{Dir: dir, Batch: bigquery.BatchPolicy{MaxAge: time.Millisecond}}, bqemu.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)
	var orders []events.Order
	var want int64 // completed revenue in cents
	for i := range 30 {
		o := events.Order{EventID: "e" + strconv.Itoa(i), Type: events.OrderCompleted, TenantID: "acme", OrderID: "o" + strconv.Itoa(i),
			CustomerID: "c" + strconv.Itoa(i%4), Amount: int64(1000*i + 1), Currency: "USD", OccurredAt: base.Add(time.Duration(i) * 10 * time.Minute),
			Items: []events.Item{{SKU: "s", Quantity: 1, UnitPrice: int64(1000*i + 1)}}}
		orders = append(orders, o)
		want += o.Amount
	}
	orders = append(orders, orders[3], orders[17]) // redelivered
	var wg sync.WaitGroup
	for i := range orders {
		wg.Go(func() {
			if err := w.WriteOrder(ctx, &orders[i], bigquery.OrderMeta{IngestedAt: time.Now(), MessageID: strconv.Itoa(i)}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}

	files, _ := filepath.Glob(filepath.Join(dir, "orders", "*", "*.ndjson"))
	if len(files) != 2 {
		t.Fatalf("order files %v, want one per day (2)", files)
	}
	schema, err := bigquery.Schema(bigquery.TableOrders)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		src := bq.NewReaderSource(fh)
		src.SourceFormat = bq.JSON
		src.Schema = schema
		job, err := c.Dataset(e.Dataset).Table(bigquery.TableOrders).LoaderFrom(src).Run(ctx)
		if err != nil {
			t.Fatalf("load %s: %v", f, err)
		}
		st, err := job.Wait(ctx)
		if err == nil {
			err = st.Err()
		}
		fh.Close()
		if err != nil {
			t.Fatalf("load %s: %v", f, err)
		}
	}
	it, err := c.Query("SELECT COUNT(*) AS n, SUM(total_amount) AS revenue, (SELECT COUNT(*) FROM pulse.orders) AS raw FROM pulse.orders_dedup").Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var row map[string]bq.Value
	if err := it.Next(&row); err != nil && err != iterator.Done {
		t.Fatal(err)
	}
	wantRev := events.FormatMinor(want, 2)
	if row["n"] != int64(30) || row["raw"] != int64(32) || row["revenue"].(interface{ FloatString(int) string }).FloatString(2) != wantRev {
		t.Fatalf("loaded: %v; want 30 events from 32 rows, revenue %s", row, wantRev)
	}
}
