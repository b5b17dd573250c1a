package bigquery

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"

	"github.com/olympus-cloud/pulse/events"
)

// TestEmulatorRejectedRow runs the permanent-rejection path through the real
// client: an orders table created by an older schema (no message_id column)
// refuses rows that carry it, per row; WriteOrder returns a *RowError with
// BigQuery's reason, for the dead-letter topic, and counts it. (Init would
// add the column, but the emulator's tables.patch changes metadata only, not
// its storage, so that half cannot be shown here.)
func TestEmulatorRejectedRow(t *testing.T) {
	e := startEmulator(t, "pulse")
	ctx := context.Background()
	c := e.client(t)
	cfg := e.config()
	cfg.Dataset = "legacy"
	if err := c.Dataset(cfg.Dataset).Create(ctx, &bigquery.DatasetMetadata{}); err != nil {
		t.Fatal(err)
	}
	full, err := Schema(TableOrders)
	if err != nil {
		t.Fatal(err)
	}
	var old bigquery.Schema
	for _, f := range full {
		if f.Name != "message_id" {
			old = append(old, f)
		}
	}
	if err := c.Dataset(cfg.Dataset).Table(TableOrders).Create(ctx, &bigquery.TableMetadata{Schema: old}); err != nil {
		t.Fatal(err)
	}
	cfg.Batch = BatchPolicy{MaxAge: 5 * time.Millisecond}
	w, err := New(ctx, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	o := &events.Order{EventID: "e1", Type: events.OrderCreated, TenantID: "t", OrderID: "o", Amount: 100, Currency: "USD", OccurredAt: time.Now().UTC()}
	err = w.WriteOrder(ctx, o, OrderMeta{IngestedAt: time.Now(), MessageID: "m1"})
	var re *RowError
	if !errors.As(err, &re) || re.Reason != events.ReasonSinkRejected || re.InsertID != "e1" || !strings.Contains(re.Detail, "message_id") {
		t.Fatalf("write into the old table: %v, want a RowError naming message_id", err)
	}
	if st := w.Stats(); st.RowsRejected != 1 || st.RowsWritten != 0 {
		t.Fatalf("stats %+v", st)
	}

	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
}
