package events

import (
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"

	json "github.com/goccy/go-json"
)

// Limits bound what a Decoder accepts. The zero value means the defaults.
type Limits struct {
	// MaxPayloadBytes caps the raw message size. Default 256 KiB.
	MaxPayloadBytes int
	// MaxItems caps the order lines. Default 1000.
	MaxItems int
	// MaxAmount caps total_amount and unit_price in major units of the
	// order's currency. Default 10,000,000. MaxAmountByCurrency overrides it
	// per ISO code, for currencies of small unit value.
	MaxAmount           int64
	MaxAmountByCurrency map[string]int64
	// MaxClockSkew is how far in the future of the decoder's clock an
	// occurred_at may be. Default 5 minutes.
	MaxClockSkew time.Duration
	// MaxAge is how far in the past an occurred_at may be. Default 90 days;
	// negative disables the check (backtests of old history).
	MaxAge time.Duration
}

// Defaults for Limits.
const (
	DefaultMaxPayloadBytes = 256 << 10
	DefaultMaxItems        = 1000
	DefaultMaxAmount       = 10_000_000
	DefaultMaxClockSkew    = 5 * time.Minute
	DefaultMaxAge          = 90 * 24 * time.Hour
	maxIDLen               = 128
	maxTextLen             = 256
	maxReusedItems         = 64
)

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	if l.MaxPayloadBytes <= 0 {
		l.MaxPayloadBytes = DefaultMaxPayloadBytes
	}
	if l.MaxItems <= 0 {
		l.MaxItems = DefaultMaxItems
	}
	if l.MaxAmount <= 0 {
		l.MaxAmount = DefaultMaxAmount
	}
	if l.MaxClockSkew <= 0 {
		l.MaxClockSkew = DefaultMaxClockSkew
	}
	if l.MaxAge == 0 {
		l.MaxAge = DefaultMaxAge
	}
	return l
}

// Decoder decodes and validates order events. Use NewDecoder; a Decoder is
// not safe for concurrent use.
type Decoder struct {
	limits Limits
	wire   wireOrder
	// dirtyItems is how much of wire.Items' array the last decode may have
	// written: its length after a success, the whole array after an error.
	dirtyItems int
}

// NewDecoder returns a decoder enforcing l (zero fields take defaults).
func NewDecoder(l Limits) *Decoder {
	return &Decoder{limits: l.WithDefaults()}
}

type wireOrder struct {
	SchemaVersion version    `json:"schema_version"`
	EventID       string     `json:"event_id"`
	EventType     string     `json:"event_type"`
	TenantID      string     `json:"tenant_id"`
	OrderID       string     `json:"order_id"`
	CustomerID    string     `json:"customer_id"`
	Status        string     `json:"status"`
	TotalAmount   decimal    `json:"total_amount"`
	Currency      string     `json:"currency"`
	OccurredAt    string     `json:"occurred_at"`
	Items         []wireItem `json:"items"`
}

type wireItem struct {
	SKU       string  `json:"sku"`
	Quantity  int64   `json:"quantity"`
	UnitPrice decimal `json:"unit_price"`
}

// version accepts 1 or "1"; anything else is kept as text for the error.
type version struct {
	n       int
	text    string
	present bool
}

func (v *version) UnmarshalJSON(b []byte) error {
	*v = version{present: string(b) != "null"}
	s := string(b)
	if len(b) >= 2 && b[0] == '"' {
		s = s[1 : len(s)-1]
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		v.text = s
		return nil
	}
	v.n = n
	return nil
}

// Decode parses payload, checks it against the v1 contract and the limits,
// and checks that the Pub/Sub attributes tenant_id, event_type and
// schema_version, where present, agree with it. now is the decoder's clock
// for the future and horizon checks. Every rejection is a *ValidationError.
func (d *Decoder) Decode(payload []byte, attrs map[string]string, now time.Time) (Order, error) {
	l := &d.limits
	var digits int
	if len(payload) > l.MaxPayloadBytes {
		return Order{}, invalid(ReasonPayloadTooLarge, "", "payload is %d bytes, limit %d", len(payload), l.MaxPayloadBytes)
	}
	w := &d.wire
	// Reuse the items array across calls, zeroed: decoding into a reused
	// element would otherwise keep fields the new payload omits. Clear only
	// what the last decode wrote: after one payload of 1,000 lines, clearing
	// the whole array cost every later decode more than the decode itself.
	items := w.Items[:cap(w.Items)]
	clear(items[:d.dirtyItems])
	if cap(items) > maxReusedItems {
		items = nil // do not keep a huge array for every later decode
	}
	*w = wireOrder{Items: items[:0]}
	// The fast path reads the payload in place; the strings the Order
	// keeps are copied out at the end (detach). Anything off its plain
	// form goes to goccy (see scanWire).
	fast := len(payload) > 0 && scanWire(unsafe.String(&payload[0], len(payload)), w)
	if !fast {
		clear(w.Items)
		*w = wireOrder{Items: w.Items[:0]}
		if err := json.Unmarshal(payload, w); err != nil {
			d.dirtyItems = cap(w.Items)
			return Order{}, invalid(ReasonMalformedJSON, "", "%v", err)
		}
	}
	d.dirtyItems = len(w.Items)
	if !w.SchemaVersion.present {
		return Order{}, invalid(ReasonUnknownSchemaVersion, "schema_version", "missing")
	}
	if w.SchemaVersion.n != SchemaVersion || w.SchemaVersion.text != "" {
		return Order{}, invalid(ReasonUnknownSchemaVersion, "schema_version", "version %q is not supported (want %d)",
			versionText(w.SchemaVersion), SchemaVersion)
	}
	typ, ok := ParseEventType(w.EventType)
	if !ok {
		return Order{}, invalid(ReasonInvalidEventType, "event_type", "%q is not an order event type", w.EventType)
	}
	if !ValidTenantID(w.TenantID) {
		return Order{}, invalid(ReasonInvalidTenantID, "tenant_id", "%q must match [A-Za-z0-9_-]{1,64}", w.TenantID)
	}
	if err := checkID("event_id", w.EventID, true); err != nil {
		return Order{}, err
	}
	if err := checkID("order_id", w.OrderID, true); err != nil {
		return Order{}, err
	}
	if err := checkID("customer_id", w.CustomerID, false); err != nil {
		return Order{}, err
	}
	if len(w.Status) > maxTextLen || !printable(w.Status) {
		return Order{}, invalid(ReasonInvalidField, "status", "must be printable text of at most %d bytes", maxTextLen)
	}
	cur, ok := currencies[w.Currency]
	if !ok {
		return Order{}, invalid(ReasonUnknownCurrency, "currency", "%q is not an ISO 4217 currency code", w.Currency)
	}
	w.Currency, digits = cur.code, int(cur.digits)
	capMinor := l.capMinor(w.Currency, digits)
	if !w.TotalAmount.present {
		return Order{}, invalid(ReasonInvalidAmount, "total_amount", "missing")
	}
	amount, verr := w.TotalAmount.minor(digits, "total_amount")
	if verr != nil {
		return Order{}, verr
	}
	if amount > capMinor {
		return Order{}, invalid(ReasonAmountOverCap, "total_amount", "%s %s is over the cap", FormatMinor(amount, digits), w.Currency)
	}
	at, err := time.Parse(time.RFC3339Nano, w.OccurredAt)
	if err != nil {
		return Order{}, invalid(ReasonInvalidTimestamp, "occurred_at", "%q is not an RFC 3339 timestamp", w.OccurredAt)
	}
	at = at.UTC()
	if at.After(now.Add(l.MaxClockSkew)) {
		return Order{}, invalid(ReasonFutureTimestamp, "occurred_at", "%s is more than %s ahead of now", w.OccurredAt, l.MaxClockSkew)
	}
	if l.MaxAge > 0 && at.Before(now.Add(-l.MaxAge)) {
		return Order{}, invalid(ReasonTimestampTooOld, "occurred_at", "%s is older than the %s horizon", w.OccurredAt, l.MaxAge)
	}
	if len(w.Items) > l.MaxItems {
		return Order{}, invalid(ReasonTooManyItems, "items", "%d items, limit %d", len(w.Items), l.MaxItems)
	}
	o := Order{
		EventID: w.EventID, Type: typ, TenantID: w.TenantID, OrderID: w.OrderID,
		CustomerID: w.CustomerID, Status: w.Status, Amount: amount,
		Currency: w.Currency, OccurredAt: at,
	}
	if len(w.Items) > 0 {
		o.Items = make([]Item, len(w.Items))
		for i := range w.Items {
			wi := &w.Items[i]
			// The field name is built on errors only: it would be two
			// allocations per line.
			field := func(name string) string { return "items[" + strconv.Itoa(i) + "]." + name }
			if wi.SKU == "" || len(wi.SKU) > maxTextLen || !printable(wi.SKU) {
				return Order{}, invalid(ReasonInvalidItem, field("sku"), "must be 1 to %d printable bytes", maxTextLen)
			}
			if wi.Quantity < 1 || wi.Quantity > 1_000_000 {
				return Order{}, invalid(ReasonInvalidItem, field("quantity"), "%d is not in 1..1000000", wi.Quantity)
			}
			if !wi.UnitPrice.present {
				return Order{}, invalid(ReasonInvalidItem, field("unit_price"), "missing")
			}
			price, verr := wi.UnitPrice.minor(digits, "")
			if verr != nil {
				verr.Field = field("unit_price")
				return Order{}, verr
			}
			if price > capMinor {
				return Order{}, invalid(ReasonAmountOverCap, field("unit_price"), "over the cap")
			}
			o.Items[i] = Item{SKU: wi.SKU, Quantity: wi.Quantity, UnitPrice: price}
		}
	}
	if err := checkAttributes(&o, attrs); err != nil {
		return Order{}, err
	}
	if fast {
		detach(&o)
	}
	return o, nil
}

// detach copies the strings of an Order decoded by the fast path, which
// still point into the caller's payload, into one buffer of their own: one
// allocation of the bytes kept (ids, status, SKUs: about a third of a
// payload) instead of one per string. The currency is already the
// package's own.
func detach(o *Order) {
	n := len(o.EventID) + len(o.TenantID) + len(o.OrderID) + len(o.CustomerID) + len(o.Status)
	for i := range o.Items {
		n += len(o.Items[i].SKU)
	}
	buf := make([]byte, 0, n)
	o.EventID, buf = own(o.EventID, buf)
	o.TenantID, buf = own(o.TenantID, buf)
	o.OrderID, buf = own(o.OrderID, buf)
	o.CustomerID, buf = own(o.CustomerID, buf)
	o.Status, buf = own(o.Status, buf)
	for i := range o.Items {
		o.Items[i].SKU, buf = own(o.Items[i].SKU, buf)
	}
}

// own appends s to buf, which never grows past its capacity and is never
// written again, and returns the copy as a string.
func own(s string, buf []byte) (string, []byte) {
	if s == "" {
		return "", buf
	}
	start := len(buf)
	buf = append(buf, s...)
	return unsafe.String(&buf[start], len(s)), buf
}

func (l *Limits) capMinor(currency string, digits int) int64 {
	major := l.MaxAmount
	if v, ok := l.MaxAmountByCurrency[currency]; ok && v > 0 {
		major = v
	}
	c := major
	for range digits {
		if c > (1<<63-1)/10 {
			return 1<<63 - 1
		}
		c *= 10
	}
	return c
}

func checkAttributes(o *Order, attrs map[string]string) *ValidationError {
	if v, ok := attrs["tenant_id"]; ok && v != o.TenantID {
		return invalid(ReasonAttributeMismatch, "tenant_id", "attribute %q disagrees with payload %q", v, o.TenantID)
	}
	if v, ok := attrs["event_type"]; ok && v != o.Type.String() {
		return invalid(ReasonAttributeMismatch, "event_type", "attribute %q disagrees with payload %q", v, o.Type.String())
	}
	if v, ok := attrs["schema_version"]; ok && v != strconv.Itoa(SchemaVersion) {
		return invalid(ReasonAttributeMismatch, "schema_version", "attribute %q disagrees with payload %d", v, SchemaVersion)
	}
	return nil
}

func versionText(v version) string {
	if v.text != "" {
		return v.text
	}
	return strconv.Itoa(v.n)
}

// ValidTenantID reports whether s matches [A-Za-z0-9_-]{1,64}.
func ValidTenantID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func checkID(field, s string, required bool) *ValidationError {
	if s == "" {
		if required {
			return invalid(ReasonInvalidID, field, "missing")
		}
		return nil
	}
	if len(s) > maxIDLen {
		return invalid(ReasonInvalidID, field, "longer than %d bytes", maxIDLen)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return invalid(ReasonInvalidID, field, "contains a space or control character")
		}
	}
	if !utf8.ValidString(s) {
		return invalid(ReasonInvalidID, field, "is not valid UTF-8")
	}
	return nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return false
		}
	}
	return utf8.ValidString(s)
}
