package recommend

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/olympus-cloud/pulse/events"
)

// A basket payload carries what Observe needs of one order event, so a
// model on another replica can learn it (distributed mode: the payload
// rides with the event into Redis, see processors.SharedModels):
//
//	version byte (1) | type byte ('c' completed, 'r' refunded)
//	| varint completion or refund time (Unix ns)
//	| uvarint len, order id | uvarint n | n × (uvarint len, SKU)
//
// The SKUs are the order's distinct SKUs in line order, at most
// MaxBasket+1 of a completion (one more than the model takes, so it still
// counts the basket as truncated) and maxMaxBasket of a refund (what a
// refund reads). The tenant is not in the payload: it is the stream's.
const (
	basketVersion   = 1
	basketCompleted = 'c'
	basketRefunded  = 'r'

	maxBasketID  = 1 << 10 // the order decoder allows 128 bytes
	maxBasketSKU = 256     // the order decoder's limit, which MemoryBound assumes
)

// ErrBadBasket is returned for a payload that AppendBasket did not write.
var ErrBadBasket = errors.New("malformed basket payload")

// AppendBasket appends o's basket payload to dst, or returns dst unchanged
// when o teaches a model nothing: neither a completion nor a refund, or a
// completion without items. It does not allocate beyond growing dst, and
// reads only the configuration (safe on any goroutine that owns dst).
func (m *Model) AppendBasket(dst []byte, o *events.Order) []byte {
	var typ byte
	limit := maxMaxBasket
	switch {
	case o.Type == events.OrderCompleted && len(o.Items) > 0:
		typ, limit = basketCompleted, m.cfg.MaxBasket+1
	case o.Type == events.OrderRefunded:
		typ = basketRefunded
	default:
		return dst
	}
	dst = append(dst, basketVersion, typ)
	dst = binary.AppendVarint(dst, o.OccurredAt.UnixNano())
	dst = binary.AppendUvarint(dst, uint64(len(o.OrderID)))
	dst = append(dst, o.OrderID...)
	// The distinct SKUs, compared with those already taken only: O(lines
	// × limit), like the model's own basket.
	var pick [maxMaxBasket + 1]int32
	n := 0
	for i := range o.Items {
		if n == limit {
			break
		}
		seen := false
		for _, j := range pick[:n] {
			if o.Items[j].SKU == o.Items[i].SKU {
				seen = true
				break
			}
		}
		if !seen {
			pick[n] = int32(i)
			n++
		}
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for _, j := range pick[:n] {
		dst = binary.AppendUvarint(dst, uint64(len(o.Items[j].SKU)))
		dst = append(dst, o.Items[j].SKU...)
	}
	return dst
}

// DecodeBasket decodes a payload of AppendBasket into o (tenant's order
// event; o.Items' array is reused). Strings in o share p's memory.
func DecodeBasket(tenant, p string, o *events.Order) error {
	b := unsafe.Slice(unsafe.StringData(p), len(p)) // read only
	if len(b) < 2 || b[0] != basketVersion {
		return fmt.Errorf("%w: unknown version", ErrBadBasket)
	}
	items := o.Items[:0]
	*o = events.Order{TenantID: tenant, Items: items}
	switch b[1] {
	case basketCompleted:
		o.Type = events.OrderCompleted
	case basketRefunded:
		o.Type = events.OrderRefunded
	default:
		return fmt.Errorf("%w: unknown type %d", ErrBadBasket, b[1])
	}
	off := 2
	at, n := binary.Varint(b[off:])
	if n <= 0 {
		return fmt.Errorf("%w: time", ErrBadBasket)
	}
	off += n
	o.OccurredAt = time.Unix(0, at).UTC()
	str := func(limit int) (string, bool) {
		l, n := binary.Uvarint(b[off:])
		if n <= 0 || l > uint64(limit) || l > uint64(len(b)-off-n) {
			return "", false
		}
		s := p[off+n : off+n+int(l)]
		off += n + int(l)
		return s, true
	}
	var ok bool
	if o.OrderID, ok = str(maxBasketID); !ok {
		return fmt.Errorf("%w: order id", ErrBadBasket)
	}
	cnt, n := binary.Uvarint(b[off:])
	if n <= 0 || cnt > maxMaxBasket+1 {
		return fmt.Errorf("%w: SKU count", ErrBadBasket)
	}
	off += n
	for range cnt {
		sku, ok := str(maxBasketSKU)
		if !ok {
			return fmt.Errorf("%w: SKU", ErrBadBasket)
		}
		items = append(items, events.Item{SKU: sku})
	}
	o.Items = items
	if off != len(b) {
		return fmt.Errorf("%w: %d trailing bytes", ErrBadBasket, len(b)-off)
	}
	return nil
}

// ObserveBasket is Observe of tenant's order event carried by payload p
// (AppendBasket). A malformed payload changes nothing.
func (m *Model) ObserveBasket(tenant, p string) error {
	if err := DecodeBasket(tenant, p, &m.order); err != nil {
		return err
	}
	m.Observe(&m.order)
	clear(m.order.Items) // drop the payload's strings
	return nil
}
