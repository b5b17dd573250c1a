package events

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// scanWire is the decoder's fast path. It fills w from the plain form every
// producer writes — one JSON object, known keys spelled exactly, each at
// most once, strings without escapes, amounts as numbers or plain strings,
// integer quantities — taking every string as a substring of s, so a
// payload costs one copy of the strings kept instead of one allocation per
// field.
//
// s is the caller's payload viewed in place: the strings left in w point
// into it, and Decode copies those the Order keeps (detach).
//
// It reports false as soon as the payload leaves that form (an escape, a key
// differing only in case, a duplicate key, a type the wire struct would
// reject, any syntax error), and the caller then decodes with goccy/go-json,
// which stays the reference: on every payload scanWire accepts, goccy fills
// the same wireOrder (FuzzScanWire checks this), so validation, error
// reasons and the decoded Order do not depend on the path taken.
//
// w must be reset with w.Items an empty slice whose array is zeroed; on
// false, w holds partial values and must be reset again.
func scanWire(s string, w *wireOrder) bool {
	p := scanner{s: s}
	p.space()
	if !p.eat('{') {
		return false
	}
	var seen uint16
	p.space()
	if p.eat('}') {
		return p.end()
	}
	for {
		key, ok := p.str()
		if !ok {
			return false
		}
		p.space()
		if !p.eat(':') {
			return false
		}
		p.space()
		f := orderField(key)
		if f < 0 {
			if !p.unknownKey(key) {
				return false
			}
		} else {
			if seen&(1<<f) != 0 {
				return false
			}
			seen |= 1 << f
			if !p.orderValue(f, w) {
				return false
			}
		}
		p.space()
		if p.eat('}') {
			return p.end()
		}
		if !p.eat(',') {
			return false
		}
		p.space()
	}
}

// Fields of wireOrder, by their position in the switch of orderField.
const (
	fSchemaVersion = iota
	fEventID
	fEventType
	fTenantID
	fOrderID
	fCustomerID
	fStatus
	fTotalAmount
	fCurrency
	fOccurredAt
	fItems
)

var orderKeys = [...]string{"schema_version", "event_id", "event_type", "tenant_id", "order_id",
	"customer_id", "status", "total_amount", "currency", "occurred_at", "items"}

var itemKeys = [...]string{"sku", "quantity", "unit_price"}

func orderField(key string) int {
	switch key {
	case "schema_version":
		return fSchemaVersion
	case "event_id":
		return fEventID
	case "event_type":
		return fEventType
	case "tenant_id":
		return fTenantID
	case "order_id":
		return fOrderID
	case "customer_id":
		return fCustomerID
	case "status":
		return fStatus
	case "total_amount":
		return fTotalAmount
	case "currency":
		return fCurrency
	case "occurred_at":
		return fOccurredAt
	case "items":
		return fItems
	}
	return -1
}

type scanner struct {
	s string
	i int
}

func (p *scanner) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *scanner) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only white space is left.
func (p *scanner) end() bool {
	p.space()
	return p.i == len(p.s)
}

func (p *scanner) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// str reads a string without escapes or control characters, in valid UTF-8,
// and returns its content.
func (p *scanner) str() (string, bool) {
	if !p.eat('"') {
		return "", false
	}
	s := p.s
	start, i := p.i, p.i
	for i < len(s) && plainASCII[s[i]] { // the common case, one load a byte
		i++
	}
	ascii := true
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			p.i = i + 1
			v := s[start:i]
			return v, ascii || utf8.ValidString(v)
		case c == '\\' || c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
	}
	return "", false
}

// plainASCII marks the bytes a string holds as they are: printable ASCII
// but the quote and the backslash.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// null reads the literal null.
func (p *scanner) null() bool {
	if strings.HasPrefix(p.s[p.i:], "null") {
		p.i += 4
		return true
	}
	return false
}

// number reads a number in the strict JSON grammar and returns its text;
// integer is false when it has a fraction or an exponent.
func (p *scanner) number() (text string, integer, ok bool) {
	start := p.i
	p.eat('-')
	switch c := p.peek(); {
	case c == '0':
		p.i++
	case c >= '1' && c <= '9':
		p.digits()
	default:
		return "", false, false
	}
	integer = true
	if p.eat('.') {
		integer = false
		if p.digits() == 0 {
			return "", false, false
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		integer = false
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if p.digits() == 0 {
			return "", false, false
		}
	}
	return p.s[start:p.i], integer, true
}

func (p *scanner) digits() int {
	start := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	return p.i - start
}

// unknownKey skips the value of a key that is not a field. A key that
// matches a field but for case (goccy may match it) or is not plain ASCII
// (case folding beyond ASCII) leaves the fast path.
func (p *scanner) unknownKey(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= 0x80 {
			return false
		}
	}
	for _, k := range orderKeys {
		if strings.EqualFold(k, key) {
			return false
		}
	}
	for _, k := range itemKeys {
		if strings.EqualFold(k, key) {
			return false // harmless at the top level, but keep the rule simple
		}
	}
	return p.skip(0)
}

// skip reads any value in the strict grammar.
func (p *scanner) skip(depth int) bool {
	if depth > 32 {
		return false
	}
	switch c := p.peek(); {
	case c == '"':
		_, ok := p.str()
		return ok
	case c == '-' || c >= '0' && c <= '9':
		_, _, ok := p.number()
		return ok
	case c == 'n':
		return p.null()
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == '[':
		p.i++
		p.space()
		if p.eat(']') {
			return true
		}
		for {
			if !p.skip(depth + 1) {
				return false
			}
			p.space()
			if p.eat(']') {
				return true
			}
			if !p.eat(',') {
				return false
			}
			p.space()
		}
	case c == '{':
		p.i++
		p.space()
		if p.eat('}') {
			return true
		}
		for {
			if _, ok := p.str(); !ok {
				return false
			}
			p.space()
			if !p.eat(':') {
				return false
			}
			p.space()
			if !p.skip(depth + 1) {
				return false
			}
			p.space()
			if p.eat('}') {
				return true
			}
			if !p.eat(',') {
				return false
			}
			p.space()
		}
	}
	return false
}

func (p *scanner) literal(lit string) bool {
	if strings.HasPrefix(p.s[p.i:], lit) {
		p.i += len(lit)
		return true
	}
	return false
}

// text reads a string field: a plain string, or null (the field stays "").
func (p *scanner) text(dst *string) bool {
	if p.peek() == 'n' {
		return p.null()
	}
	v, ok := p.str()
	*dst = v
	return ok
}

// amount reads a decimal field as its UnmarshalJSON would see it: a number
// or a plain string, passed with its quotes; null leaves it absent.
func (p *scanner) amount(d *decimal) bool {
	start := p.i
	switch c := p.peek(); {
	case c == 'n':
		return p.null()
	case c == '"':
		if _, ok := p.str(); !ok {
			return false
		}
	default:
		if _, _, ok := p.number(); !ok {
			return false
		}
	}
	d.unmarshal(p.s[start:p.i])
	return true
}

func (p *scanner) orderValue(f int, w *wireOrder) bool {
	switch f {
	case fSchemaVersion:
		// An integer or "1"; other forms keep their text for the error
		// message, and goccy provides it.
		if p.literal(`"1"`) {
			w.SchemaVersion = version{n: 1, present: true}
			return true
		}
		text, integer, ok := p.number()
		if !ok || !integer {
			return false
		}
		n, err := strconv.Atoi(text)
		if err != nil {
			return false
		}
		w.SchemaVersion = version{n: n, present: true}
		return true
	case fEventID:
		return p.text(&w.EventID)
	case fEventType:
		return p.text(&w.EventType)
	case fTenantID:
		return p.text(&w.TenantID)
	case fOrderID:
		return p.text(&w.OrderID)
	case fCustomerID:
		return p.text(&w.CustomerID)
	case fStatus:
		return p.text(&w.Status)
	case fTotalAmount:
		return p.amount(&w.TotalAmount)
	case fCurrency:
		return p.text(&w.Currency)
	case fOccurredAt:
		return p.text(&w.OccurredAt)
	case fItems:
		return p.items(w)
	}
	return false
}

func (p *scanner) items(w *wireOrder) bool {
	if p.peek() == 'n' {
		return false // goccy sets the slice to nil: rare, leave it to goccy
	}
	if !p.eat('[') {
		return false
	}
	p.space()
	if p.eat(']') {
		return true
	}
	for {
		if len(w.Items) < cap(w.Items) {
			w.Items = w.Items[:len(w.Items)+1] // zeroed by the caller
		} else {
			w.Items = append(w.Items, wireItem{})
		}
		if !p.item(&w.Items[len(w.Items)-1]) {
			return false
		}
		p.space()
		if p.eat(']') {
			return true
		}
		if !p.eat(',') {
			return false
		}
		p.space()
	}
}

func (p *scanner) item(it *wireItem) bool {
	if !p.eat('{') {
		return false
	}
	var seen uint8
	p.space()
	if p.eat('}') {
		return true
	}
	for {
		key, ok := p.str()
		if !ok {
			return false
		}
		p.space()
		if !p.eat(':') {
			return false
		}
		p.space()
		var f int
		switch key {
		case "sku":
			f = 0
		case "quantity":
			f = 1
		case "unit_price":
			f = 2
		default:
			f = -1
		}
		switch {
		case f < 0:
			if !p.unknownKey(key) {
				return false
			}
		case seen&(1<<f) != 0:
			return false
		default:
			seen |= 1 << f
			switch f {
			case 0:
				ok = p.text(&it.SKU)
			case 1:
				ok = p.quantity(&it.Quantity)
			case 2:
				ok = p.amount(&it.UnitPrice)
			}
			if !ok {
				return false
			}
		}
		p.space()
		if p.eat('}') {
			return true
		}
		if !p.eat(',') {
			return false
		}
		p.space()
	}
}

// quantity reads an integer that fits int64; anything else (null, a
// fraction, an overflow) is left to goccy.
func (p *scanner) quantity(dst *int64) bool {
	text, integer, ok := p.number()
	if !ok || !integer || len(text) > 18 {
		return false // 18 digits always fit: no overflow check needed
	}
	neg := text[0] == '-'
	if neg {
		text = text[1:]
	}
	var v int64
	for i := 0; i < len(text); i++ {
		v = v*10 + int64(text[i]-'0')
	}
	if neg {
		v = -v
	}
	*dst = v
	return true
}
