package events

import (
	"strconv"
	"time"
)

// SchemaVersion is the order contract version this package reads and writes.
const SchemaVersion = 1

// EventType is an order lifecycle step.
type EventType uint8

// Order event types. The zero value is invalid.
const (
	OrderCreated EventType = iota + 1
	OrderCompleted
	OrderCancelled
	OrderRefunded
)

var eventTypeNames = [...]string{"", "order.created", "order.completed", "order.cancelled", "order.refunded"}

// EventTypes lists the valid event types in contract order.
var EventTypes = []EventType{OrderCreated, OrderCompleted, OrderCancelled, OrderRefunded}

func (t EventType) String() string {
	if int(t) < len(eventTypeNames) {
		return eventTypeNames[t]
	}
	return "EventType(" + strconv.Itoa(int(t)) + ")"
}

// ParseEventType maps a wire name ("order.created") to its EventType.
func ParseEventType(s string) (EventType, bool) {
	switch s {
	case "order.created":
		return OrderCreated, true
	case "order.completed":
		return OrderCompleted, true
	case "order.cancelled":
		return OrderCancelled, true
	case "order.refunded":
		return OrderRefunded, true
	}
	return 0, false
}

// Order is a validated order event. Amounts are exact integer minor units of
// Currency: Amount 12990 in USD is $129.90. For order.refunded, Amount is the
// amount refunded.
type Order struct {
	EventID    string
	Type       EventType
	TenantID   string
	OrderID    string
	CustomerID string // empty for guest checkout
	Status     string
	Amount     int64
	Currency   string
	OccurredAt time.Time // UTC
	Items      []Item
}

// Item is one order line.
type Item struct {
	SKU       string
	Quantity  int64
	UnitPrice int64 // minor units of the order's currency
}

// ItemCount is the total quantity over all lines.
func (o *Order) ItemCount() int64 {
	var n int64
	for _, it := range o.Items {
		n += it.Quantity
	}
	return n
}

// Attributes are the Pub/Sub attributes a publisher should set on o, which
// let subscribers filter without decoding.
func (o *Order) Attributes() map[string]string {
	return map[string]string{
		"tenant_id":      o.TenantID,
		"event_type":     o.Type.String(),
		"schema_version": strconv.Itoa(SchemaVersion),
	}
}

// AppendJSON appends o in the v1 wire form, amounts as decimal strings.
func (o *Order) AppendJSON(b []byte) []byte {
	digits, _ := MinorDigits(o.Currency)
	b = append(b, `{"schema_version":1,"event_id":`...)
	b = appendString(b, o.EventID)
	b = append(b, `,"event_type":"`...)
	b = append(b, o.Type.String()...)
	b = append(b, `","tenant_id":`...)
	b = appendString(b, o.TenantID)
	b = append(b, `,"order_id":`...)
	b = appendString(b, o.OrderID)
	b = append(b, `,"customer_id":`...)
	b = appendString(b, o.CustomerID)
	b = append(b, `,"status":`...)
	b = appendString(b, o.Status)
	b = append(b, `,"total_amount":"`...)
	b = AppendMinor(b, o.Amount, digits)
	b = append(b, `","currency":`...)
	b = appendString(b, o.Currency)
	b = append(b, `,"occurred_at":"`...)
	b = o.OccurredAt.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","items":[`...)
	for i, it := range o.Items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"sku":`...)
		b = appendString(b, it.SKU)
		b = append(b, `,"quantity":`...)
		b = strconv.AppendInt(b, it.Quantity, 10)
		b = append(b, `,"unit_price":"`...)
		b = AppendMinor(b, it.UnitPrice, digits)
		b = append(b, `"}`...)
	}
	return append(b, "]}"...)
}

// MarshalJSON encodes o in the v1 wire form.
func (o Order) MarshalJSON() ([]byte, error) {
	return o.AppendJSON(make([]byte, 0, 256+64*len(o.Items))), nil
}

// appendString appends s as a JSON string. Validated orders hold valid UTF-8,
// so only quotes, backslashes and control characters need escaping.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
