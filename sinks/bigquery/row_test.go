package bigquery

import (
	"encoding/json"
	"math/big"
	"testing"
	"time"

	bqapi "google.golang.org/api/bigquery/v2"

	"github.com/olympus-cloud/pulse/events"
)

func TestOrderRowExactMoney(t *testing.T) {
	for _, tc := range []struct {
		currency string
		amount   int64
	}{{"USD", 12990}, {"JPY", 12990}, {"KWD", 12990}, {"CLF", 1}, {"USD", 0}, {"USD", 1<<63 - 1}} {
		o := &events.Order{EventID: "e", Type: events.OrderCompleted, TenantID: "t", OrderID: "o", Amount: tc.amount, Currency: tc.currency,
			OccurredAt: time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.UTC), Items: []events.Item{{SKU: "s", Quantity: 2, UnitPrice: tc.amount}}}
		r := OrderRow(o, OrderMeta{IngestedAt: time.Unix(0, 0)})
		d, _ := events.MinorDigits(tc.currency)
		got, ok := new(big.Rat).SetString(r.Values["total_amount"].(string))
		want := new(big.Rat).SetFrac(big.NewInt(tc.amount), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d)), nil))
		if !ok || got.Cmp(want) != 0 {
			t.Errorf("%s %d: total_amount %v, want %v", tc.currency, tc.amount, r.Values["total_amount"], want.FloatString(d))
		}
		if r.Day != "2026-01-02" || r.Values["occurred_at"] != "2026-01-02T03:04:05.123456Z" {
			t.Errorf("day %s occurred_at %v", r.Day, r.Values["occurred_at"])
		}
		if r.Values["customer_id"] != nil {
			t.Errorf("guest customer_id %v, want NULL", r.Values["customer_id"])
		}
	}
}

// The batcher's byte limit relies on Size never underestimating the row's
// JSON in an insertAll request.
func TestRowSizeIsUpperBound(t *testing.T) {
	orders := genOrders(3, 300, time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	orders[0].CustomerID = "quote\"and\\back\nslash<>&"
	for i := range orders {
		r := OrderRow(&orders[i], OrderMeta{IngestedAt: time.Now(), PublishTime: time.Now(), MessageID: "123456789"})
		m := map[string]bqapi.JsonValue{}
		for k, v := range r.Values {
			m[k] = v
		}
		b, err := json.Marshal(&bqapi.TableDataInsertAllRequestRows{InsertId: r.InsertID, Json: m})
		if err != nil {
			t.Fatal(err)
		}
		if len(b)+1 > r.Size {
			t.Fatalf("order %d: size estimate %d below actual %d", i, r.Size, len(b)+1)
		}
		if r.Size > 3*len(b)+64 && i > 0 {
			t.Errorf("order %d: size estimate %d far above actual %d", i, r.Size, len(b))
		}
	}
}
