package events

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

const validOrder = `{"schema_version": 1, "event_id": "evt_8f1c", "event_type": "order.created",
 "tenant_id": "acme", "order_id": "ord_123", "customer_id": "cus_42",
 "status": "pending", "total_amount": "129.90", "currency": "USD",
 "occurred_at": "2026-11-27T10:15:00Z",
 "items": [{"sku": "SKU-1", "quantity": 2, "unit_price": "64.95"}]}`

func TestDecodeValid(t *testing.T) {
	d := NewDecoder(Limits{})
	o, err := d.Decode([]byte(validOrder), map[string]string{"tenant_id": "acme", "event_type": "order.created", "schema_version": "1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	want := Order{EventID: "evt_8f1c", Type: OrderCreated, TenantID: "acme", OrderID: "ord_123",
		CustomerID: "cus_42", Status: "pending", Amount: 12990, Currency: "USD",
		OccurredAt: time.Date(2026, 11, 27, 10, 15, 0, 0, time.UTC),
		Items:      []Item{{SKU: "SKU-1", Quantity: 2, UnitPrice: 6495}}}
	if !ordersEqual(o, want) {
		t.Fatalf("got %+v\nwant %+v", o, want)
	}
}

func ordersEqual(a, b Order) bool {
	return reflect.DeepEqual(a, b)
}

func TestRoundTripJSON(t *testing.T) {
	d := NewDecoder(Limits{})
	o, err := d.Decode([]byte(validOrder), nil, now)
	if err != nil {
		t.Fatal(err)
	}
	o.Status = "quote\" back\\slash \u00e9"
	b, _ := o.MarshalJSON()
	o2, err := d.Decode(b, o.Attributes(), now)
	if err != nil {
		t.Fatalf("re-decode %s: %v", b, err)
	}
	if !ordersEqual(o, o2) {
		t.Fatalf("round trip changed the order:\n%+v\n%+v", o, o2)
	}
}

func TestDecodeRejects(t *testing.T) {
	mod := func(old, new string) string { return strings.Replace(validOrder, old, new, 1) }
	manyItems := `"items": [` + strings.Repeat(`{"sku":"A","quantity":1,"unit_price":"1"},`, 1000) + `{"sku":"A","quantity":1,"unit_price":"1"}]`
	cases := []struct {
		name    string
		payload string
		attrs   map[string]string
		want    Reason
	}{
		{"malformed json", `{"schema_version": 1,`, nil, ReasonMalformedJSON},
		{"not an object", `[1,2]`, nil, ReasonMalformedJSON},
		{"wrong type for field", mod(`"quantity": 2`, `"quantity": "two"`), nil, ReasonMalformedJSON},
		{"payload too large", validOrder + strings.Repeat(" ", 256<<10), nil, ReasonPayloadTooLarge},
		{"missing schema version", mod(`"schema_version": 1,`, ``), nil, ReasonUnknownSchemaVersion},
		{"schema version 2", mod(`"schema_version": 1`, `"schema_version": 2`), nil, ReasonUnknownSchemaVersion},
		{"schema version text", mod(`"schema_version": 1`, `"schema_version": "v1"`), nil, ReasonUnknownSchemaVersion},
		{"missing event id", mod(`"event_id": "evt_8f1c"`, `"event_id": ""`), nil, ReasonInvalidID},
		{"event id with space", mod(`"evt_8f1c"`, `"evt 8f1c"`), nil, ReasonInvalidID},
		{"event id too long", mod(`"evt_8f1c"`, `"`+strings.Repeat("e", 129)+`"`), nil, ReasonInvalidID},
		{"missing order id", mod(`"order_id": "ord_123",`, ``), nil, ReasonInvalidID},
		{"customer id control char", mod(`"cus_42"`, `"cus\u000142"`), nil, ReasonInvalidID},
		{"tenant with slash", mod(`"tenant_id": "acme"`, `"tenant_id": "ac/me"`), nil, ReasonInvalidTenantID},
		{"tenant empty", mod(`"tenant_id": "acme"`, `"tenant_id": ""`), nil, ReasonInvalidTenantID},
		{"tenant too long", mod(`"tenant_id": "acme"`, `"tenant_id": "`+strings.Repeat("a", 65)+`"`), nil, ReasonInvalidTenantID},
		{"unknown event type", mod(`"order.created"`, `"order.shipped"`), nil, ReasonInvalidEventType},
		{"negative amount", mod(`"129.90"`, `"-129.90"`), nil, ReasonNegativeAmount},
		{"nan amount", mod(`"129.90"`, `"NaN"`), nil, ReasonInvalidAmount},
		{"infinite amount", mod(`"129.90"`, `"Infinity"`), nil, ReasonInvalidAmount},
		{"text amount", mod(`"129.90"`, `"12x"`), nil, ReasonInvalidAmount},
		{"too many decimals", mod(`"129.90"`, `"129.901"`), nil, ReasonInvalidAmount},
		{"missing amount", mod(`"total_amount": "129.90",`, ``), nil, ReasonInvalidAmount},
		{"over cap", mod(`"129.90"`, `"10000000.01"`), nil, ReasonAmountOverCap},
		{"absurd digits", mod(`"129.90"`, `"1234567890123456789012345"`), nil, ReasonAmountOverCap},
		{"unknown currency", mod(`"USD"`, `"USX"`), nil, ReasonUnknownCurrency},
		{"lowercase currency", mod(`"USD"`, `"usd"`), nil, ReasonUnknownCurrency},
		{"bad timestamp", mod(`"2026-11-27T10:15:00Z"`, `"yesterday"`), nil, ReasonInvalidTimestamp},
		{"timestamp without zone", mod(`"2026-11-27T10:15:00Z"`, `"2026-11-27T10:15:00"`), nil, ReasonInvalidTimestamp},
		{"future", mod(`"2026-11-27T10:15:00Z"`, `"2026-11-27T12:06:00Z"`), nil, ReasonFutureTimestamp},
		{"before horizon", mod(`"2026-11-27T10:15:00Z"`, `"2025-01-01T00:00:00Z"`), nil, ReasonTimestampTooOld},
		{"too many items", mod(`"items": [{"sku": "SKU-1", "quantity": 2, "unit_price": "64.95"}]`, manyItems), nil, ReasonTooManyItems},
		{"item without sku", mod(`"sku": "SKU-1"`, `"sku": ""`), nil, ReasonInvalidItem},
		{"item zero quantity", mod(`"quantity": 2`, `"quantity": 0`), nil, ReasonInvalidItem},
		{"item negative price", mod(`"64.95"`, `"-1"`), nil, ReasonNegativeAmount},
		{"item missing price", mod(`, "unit_price": "64.95"`, ``), nil, ReasonInvalidItem},
		{"status control char", mod(`"pending"`, `"pend\ning"`), nil, ReasonInvalidField},
		{"tenant attribute mismatch", validOrder, map[string]string{"tenant_id": "globex"}, ReasonAttributeMismatch},
		{"event type attribute mismatch", validOrder, map[string]string{"event_type": "order.completed"}, ReasonAttributeMismatch},
		{"schema attribute mismatch", validOrder, map[string]string{"schema_version": "2"}, ReasonAttributeMismatch},
	}
	d := NewDecoder(Limits{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := d.Decode([]byte(c.payload), c.attrs, now)
			if err == nil {
				t.Fatalf("accepted, want %s", c.want)
			}
			got, ok := ReasonOf(err)
			if !ok || got != c.want {
				t.Fatalf("reason %q (%v), want %q", got, err, c.want)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Detail == "" {
				t.Fatalf("error %v has no detail", err)
			}
		})
	}
}

func TestDecodeAcceptsEdgeForms(t *testing.T) {
	mod := func(old, new string) string { return strings.Replace(validOrder, old, new, 1) }
	cases := []struct {
		name    string
		payload string
		amount  int64
	}{
		{"number amount", mod(`"129.90"`, `129.9`), 12990},
		{"exponent amount", mod(`"129.90"`, `1.299e2`), 12990},
		{"trailing zeros beyond digits", mod(`"129.90"`, `"129.900000"`), 12990},
		{"integer amount", mod(`"129.90"`, `"129"`), 12900},
		{"zero", mod(`"129.90"`, `"0"`), 0},
		{"negative zero", mod(`"129.90"`, `"-0.00"`), 0},
		{"guest checkout", mod(`"customer_id": "cus_42"`, `"customer_id": ""`), 12990},
		{"schema version as string", mod(`"schema_version": 1`, `"schema_version": "1"`), 12990},
		{"exact cap", mod(`"129.90"`, `"10000000.00"`), 1_000_000_000},
		{"unknown field ignored", mod(`"status"`, `"channel": "web", "status"`), 12990},
	}
	d := NewDecoder(Limits{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := d.Decode([]byte(c.payload), nil, now)
			if err != nil {
				t.Fatal(err)
			}
			if o.Amount != c.amount {
				t.Fatalf("amount %d, want %d", o.Amount, c.amount)
			}
		})
	}
}

func TestCurrencyDigits(t *testing.T) {
	cases := []struct {
		cur, text string
		want      int64
		reason    Reason
	}{
		{"JPY", "1500", 1500, ""},
		{"JPY", "1500.5", 0, ReasonInvalidAmount},
		{"KWD", "1.234", 1234, ""},
		{"EUR", "0.01", 1, ""},
		{"CLF", "1.2345", 12345, ""},
	}
	for _, c := range cases {
		digits, ok := MinorDigits(c.cur)
		if !ok {
			t.Fatalf("%s unknown", c.cur)
		}
		got, err := ParseAmount(c.text, digits)
		if c.reason != "" {
			if r, _ := ReasonOf(err); r != c.reason {
				t.Errorf("%s %s: reason %q, want %q", c.cur, c.text, r, c.reason)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s %s: got %d, %v; want %d", c.cur, c.text, got, err, c.want)
		}
		if back := FormatMinor(got, digits); back != c.text {
			t.Errorf("FormatMinor(%d,%d) = %q, want %q", got, digits, back, c.text)
		}
	}
}

func TestFormatMinor(t *testing.T) {
	for _, c := range []struct {
		minor  int64
		digits int
		want   string
	}{{12990, 2, "129.90"}, {-5, 2, "-0.05"}, {0, 2, "0.00"}, {7, 0, "7"}, {1, 3, "0.001"}, {-1234, 3, "-1.234"}} {
		if got := FormatMinor(c.minor, c.digits); got != c.want {
			t.Errorf("FormatMinor(%d, %d) = %q, want %q", c.minor, c.digits, got, c.want)
		}
	}
}

func TestAmountCapPerCurrency(t *testing.T) {
	d := NewDecoder(Limits{MaxAmount: 100, MaxAmountByCurrency: map[string]int64{"JPY": 20000}})
	usd := strings.Replace(validOrder, `"129.90"`, `"100.01"`, 1)
	if _, err := d.Decode([]byte(usd), nil, now); err == nil {
		t.Fatal("USD 100.01 accepted over a cap of 100")
	}
	jpy := strings.NewReplacer(`"129.90"`, `"15000"`, `"USD"`, `"JPY"`, `"64.95"`, `"7500"`).Replace(validOrder)
	if _, err := d.Decode([]byte(jpy), nil, now); err != nil {
		t.Fatalf("JPY 15000 under its own cap of 20000: %v", err)
	}
}

func TestMaxAgeDisabled(t *testing.T) {
	old := strings.Replace(validOrder, `"2026-11-27T10:15:00Z"`, `"2014-07-01T00:30:00Z"`, 1)
	if _, err := NewDecoder(Limits{MaxAge: -1}).Decode([]byte(old), nil, now); err != nil {
		t.Fatalf("old event with the horizon disabled: %v", err)
	}
}
