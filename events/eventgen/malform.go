package eventgen

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// fault is one way a producer gets an event wrong, and the reason code the
// decoder must give for it.
type fault struct {
	name   string
	reason events.Reason
	weight float64
	attr   bool // lives in the attributes; left out with PayloadOnly
}

var faults = []fault{
	{"truncated_json", events.ReasonMalformedJSON, 3, false},
	{"not_json", events.ReasonMalformedJSON, 1, false},
	{"schema_version_2", events.ReasonUnknownSchemaVersion, 2, false},
	{"missing_schema_version", events.ReasonUnknownSchemaVersion, 1, false},
	{"missing_event_id", events.ReasonInvalidID, 1, false},
	{"order_id_with_space", events.ReasonInvalidID, 1, false},
	{"bad_tenant_id", events.ReasonInvalidTenantID, 2, false},
	{"unknown_event_type", events.ReasonInvalidEventType, 2, false},
	{"status_control_char", events.ReasonInvalidField, 1, false},
	{"amount_not_a_number", events.ReasonInvalidAmount, 1, false},
	{"amount_too_many_decimals", events.ReasonInvalidAmount, 2, false},
	{"negative_amount", events.ReasonNegativeAmount, 2, false},
	{"amount_over_cap", events.ReasonAmountOverCap, 1, false},
	{"unknown_currency", events.ReasonUnknownCurrency, 2, false},
	{"bad_timestamp", events.ReasonInvalidTimestamp, 2, false},
	{"future_timestamp", events.ReasonFutureTimestamp, 2, false},
	{"ancient_timestamp", events.ReasonTimestampTooOld, 1, false},
	{"too_many_items", events.ReasonTooManyItems, 0.2, false},
	{"bad_item_quantity", events.ReasonInvalidItem, 1, false},
	{"unit_price_too_many_decimals", events.ReasonInvalidAmount, 1, false},
	{"attribute_mismatch", events.ReasonAttributeMismatch, 2, true},
}

// Faults lists the malformation names Message.Fault can hold, with the
// reason code each must be rejected with.
func Faults() map[string]events.Reason {
	m := make(map[string]events.Reason, len(faults))
	for _, f := range faults {
		m[f.name] = f.reason
	}
	return m
}

// malform renders o broken in the way f says. o is the valid event the
// producer meant to send; it is not modified. publishAt is when it is sent;
// future is a time safely after any clock that will decode it.
func malform(f *fault, o *events.Order, publishAt, future time.Time, others []*tenant, r *rand.Rand) ([]byte, map[string]string) {
	attrs := o.Attributes()
	c := *o
	var b []byte
	switch f.name {
	case "truncated_json":
		full := o.AppendJSON(nil)
		b = full[:1+r.IntN(len(full)-1)]
	case "not_json":
		b = []byte([]string{
			"order " + o.OrderID + " " + o.Type.String(),
			"<order><id>" + o.OrderID + "</id></order>",
			"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", // gzip by mistake
			"[]",
		}[r.IntN(4)])
	case "schema_version_2":
		b = bytes.Replace(o.AppendJSON(nil), []byte(`"schema_version":1,`), []byte(`"schema_version":2,`), 1)
		attrs["schema_version"] = "2"
	case "missing_schema_version":
		b = bytes.Replace(o.AppendJSON(nil), []byte(`"schema_version":1,`), nil, 1)
		delete(attrs, "schema_version")
	case "missing_event_id":
		c.EventID = ""
	case "order_id_with_space":
		c.OrderID = "order " + o.OrderID
	case "bad_tenant_id":
		c.TenantID = []string{"", o.TenantID + " (test)", "tenant/" + o.TenantID, strings.Repeat("t", 65)}[r.IntN(4)]
		attrs["tenant_id"] = c.TenantID
	case "unknown_event_type":
		name := []string{"order.shipped", "ORDER_CREATED", "created", ""}[r.IntN(4)]
		b = bytes.Replace(o.AppendJSON(nil), []byte(`"event_type":"`+o.Type.String()+`"`), []byte(`"event_type":"`+name+`"`), 1)
		attrs["event_type"] = name
	case "status_control_char":
		c.Status = o.Status + "\x07"
	case "amount_not_a_number":
		bad := []string{`"12,50"`, `"USD 10"`, `""`, `"NaN"`, `null`, `"1.2.3"`}[r.IntN(6)]
		b = replaceAmount(o, bad)
	case "amount_too_many_decimals":
		text := events.FormatMinor(o.Amount, digits(o))
		if digits(o) == 0 {
			text += ".5"
		} else {
			text += "1"
		}
		b = replaceAmount(o, `"`+text+`"`)
	case "negative_amount":
		c.Amount = -o.Amount
	case "amount_over_cap":
		c.Amount = events.DefaultMaxAmount*pow10(digits(o)) + 1 + r.Int64N(1000)
	case "unknown_currency":
		c.Currency = []string{strings.ToLower(o.Currency), "BTC", "US$", "XXX", ""}[r.IntN(5)]
	case "bad_timestamp":
		at := o.OccurredAt
		text := []string{
			at.Format(time.DateTime),
			strconv.FormatInt(at.Unix(), 10),
			at.Format(time.RFC1123),
			"",
		}[r.IntN(4)]
		b = bytes.Replace(o.AppendJSON(nil), []byte(`"occurred_at":"`+o.OccurredAt.Format(time.RFC3339Nano)+`"`), []byte(`"occurred_at":"`+text+`"`), 1)
	case "future_timestamp":
		c.OccurredAt = future.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
	case "ancient_timestamp":
		c.OccurredAt = publishAt.Add(-91*24*time.Hour - time.Duration(r.Int64N(int64(300*24*time.Hour))))
	case "too_many_items":
		c.Items = make([]events.Item, events.DefaultMaxItems+1)
		for i := range c.Items {
			c.Items[i] = o.Items[i%len(o.Items)]
		}
	case "bad_item_quantity":
		c.Items = append([]events.Item(nil), o.Items...)
		i := r.IntN(len(c.Items))
		c.Items[i].Quantity = []int64{0, -1, 2_000_000}[r.IntN(3)]
	case "unit_price_too_many_decimals":
		text := events.FormatMinor(o.Items[0].UnitPrice, digits(o))
		old := `"unit_price":"` + text + `"`
		if digits(o) == 0 {
			text += ".5"
		} else {
			text += "1"
		}
		b = bytes.Replace(o.AppendJSON(nil), []byte(old), []byte(`"unit_price":"`+text+`"`), 1)
	case "attribute_mismatch":
		switch r.IntN(3) {
		case 0:
			other := others[r.IntN(len(others))].id
			if other == o.TenantID {
				other += "-x"
			}
			attrs["tenant_id"] = other
		case 1:
			attrs["event_type"] = events.EventTypes[(int(o.Type)+r.IntN(3))%len(events.EventTypes)].String()
		default:
			attrs["schema_version"] = "2"
		}
	}
	if b == nil {
		b = c.AppendJSON(make([]byte, 0, 256+64*len(c.Items)))
	}
	return b, attrs
}

// replaceAmount renders o with raw JSON in place of its total_amount value.
func replaceAmount(o *events.Order, raw string) []byte {
	old := `"total_amount":"` + events.FormatMinor(o.Amount, digits(o)) + `"`
	return bytes.Replace(o.AppendJSON(nil), []byte(old), []byte(`"total_amount":`+raw), 1)
}

func digits(o *events.Order) int {
	d, _ := events.MinorDigits(o.Currency)
	return d
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
