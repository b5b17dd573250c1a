package recommend

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// A tenant's state encodes exactly (AppendTenant), so another replica's
// model continues it (LoadTenant) with identical answers and identical
// evolution: the hash seed, the clock's reference epoch, N, both summaries
// entry by entry with their heap positions (ties between equal counts are
// evicted in the same order), the remembered baskets oldest first, and the
// insight of the current period. Floats are their IEEE bits.
//
//	version byte (1) | present byte (0: no state, nothing follows)
//	| seed u64 | half-life f64 (ns, the clock's) | ref varint | started byte | N f64
//	| items: uvarint n, inserted f64, n × (key u64, count f64, err f64, pos uvarint, uvarint len, SKU)
//	| pairs: uvarint n, inserted f64, n × (key u64 u64, count f64, err f64, pos uvarint, announced byte)
//	| baskets: uvarint n, n × (order u64, at varint, uvarint k, k × u64), oldest first
//	| insight: has-start byte, [start varint], done byte, uvarint len, JSON of the period's insights
//
// Fixed-width numbers are little-endian.
const stateVersion = 1

// ErrBadState is returned by LoadTenant for a record AppendTenant did not
// write, or one this model's configuration cannot hold.
var ErrBadState = errors.New("malformed recommendation state")

// AppendTenant appends the encoded state of tenant to dst: about 28 bytes
// per tracked SKU plus the SKU, 36 per tracked pair, and 18 per remembered
// basket plus 8 per line (1 to 3 MB for a tenant that fills the default
// summaries and refund memory). A tenant without state encodes as such.
func (m *Model) AppendTenant(dst []byte, tenant string) ([]byte, error) {
	t := m.tenants[tenant]
	dst = append(dst, stateVersion)
	if t == nil {
		return append(dst, 0), nil
	}
	dst = append(dst, 1)
	dst = binary.LittleEndian.AppendUint64(dst, t.seed)
	dst = appendF64(dst, t.clock.halfLife)
	dst = binary.AppendVarint(dst, t.clock.ref)
	dst = appendBool(dst, t.clock.started)
	dst = appendF64(dst, t.baskets)

	dst = binary.AppendUvarint(dst, uint64(len(t.items.entries)))
	dst = appendF64(dst, t.items.inserted)
	for i := range t.items.entries {
		e := &t.items.entries[i]
		dst = binary.LittleEndian.AppendUint64(dst, e.key)
		dst = appendF64(dst, e.count)
		dst = appendF64(dst, e.err)
		dst = binary.AppendUvarint(dst, uint64(e.pos))
		dst = binary.AppendUvarint(dst, uint64(len(e.val)))
		dst = append(dst, e.val...)
	}
	dst = binary.AppendUvarint(dst, uint64(len(t.pairs.entries)))
	dst = appendF64(dst, t.pairs.inserted)
	for i := range t.pairs.entries {
		e := &t.pairs.entries[i]
		dst = binary.LittleEndian.AppendUint64(dst, e.key[0])
		dst = binary.LittleEndian.AppendUint64(dst, e.key[1])
		dst = appendF64(dst, e.count)
		dst = appendF64(dst, e.err)
		dst = binary.AppendUvarint(dst, uint64(e.pos))
		dst = appendBool(dst, e.val)
	}

	r := &t.recent
	dst = binary.AppendUvarint(dst, uint64(len(r.slots)))
	first := 0
	if len(r.slots) == r.capacity {
		first = r.next
	}
	for k := range r.slots {
		s := &r.slots[(first+k)%len(r.slots)]
		dst = binary.LittleEndian.AppendUint64(dst, s.order)
		dst = binary.AppendVarint(dst, s.at)
		dst = binary.AppendUvarint(dst, uint64(len(s.items)))
		for _, h := range s.items {
			dst = binary.LittleEndian.AppendUint64(dst, h)
		}
	}

	in := &t.insight
	dst = appendBool(dst, !in.start.IsZero())
	if !in.start.IsZero() {
		dst = binary.AppendVarint(dst, in.start.UnixNano())
	}
	dst = appendBool(dst, in.done)
	var out []byte
	if len(in.out) > 0 {
		var err error
		if out, err = json.Marshal(in.out); err != nil {
			return nil, fmt.Errorf("recommendation state of tenant %s: insight: %w", tenant, err)
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(out)))
	return append(dst, out...), nil
}

// LoadTenant replaces tenant's state with the one b encodes (AppendTenant
// of any model with the same half-life and capacities at least the
// record's; remembered baskets past RefundMemory are forgotten oldest
// first). On error the tenant's state is unchanged. The tenant counts as
// changed (TakeChanged).
func (m *Model) LoadTenant(tenant string, b []byte) error {
	t, err := m.decodeTenant(tenant, b)
	if err != nil {
		return fmt.Errorf("recommendation state of tenant %s: %w", tenant, err)
	}
	if t == nil {
		m.Forget(tenant)
		return nil
	}
	m.tenants[t.id] = t
	m.touch(t)
	return nil
}

// Forget drops tenant's state (another replica took it over).
func (m *Model) Forget(tenant string) {
	delete(m.tenants, tenant)
	delete(m.changed, tenant)
}

func (m *Model) decodeTenant(id string, b []byte) (*tenant, error) {
	d := stateReader{b: b}
	if d.byte() != stateVersion {
		return nil, fmt.Errorf("%w: unknown version", ErrBadState)
	}
	if !d.bool() {
		return nil, d.end()
	}
	t := m.newTenant(strings.Clone(id), d.u64())
	if hl := d.f64(); d.err == nil && hl != t.clock.halfLife {
		return nil, fmt.Errorf("%w: half-life %s, this model's %s", ErrBadState, time.Duration(hl), time.Duration(t.clock.halfLife))
	}
	t.clock.ref = d.varint()
	t.clock.started = d.bool()
	t.baskets = d.count()

	n := d.uvarint(uint64(m.cfg.ItemCapacity), "tracked SKUs")
	t.items.inserted = d.count()
	if n > 0 && d.err == nil {
		t.items.entries = make([]entry[uint64, string], n)
		for i := range t.items.entries {
			e := &t.items.entries[i]
			e.key, e.count, e.err = d.u64(), d.count(), d.count()
			e.pos = int32(d.uvarint(n-1, "heap position"))
			e.val = string(d.bytes(maxBasketSKU))
		}
	}
	if err := restore(t.items, d.err); err != nil {
		return nil, err
	}

	n = d.uvarint(uint64(m.cfg.PairCapacity), "tracked pairs")
	t.pairs.inserted = d.count()
	if n > 0 && d.err == nil {
		t.pairs.entries = make([]entry[[2]uint64, bool], n)
		for i := range t.pairs.entries {
			e := &t.pairs.entries[i]
			e.key = [2]uint64{d.u64(), d.u64()}
			e.count, e.err = d.count(), d.count()
			e.pos = int32(d.uvarint(n-1, "heap position"))
			e.val = d.bool()
		}
	}
	if err := restore(t.pairs, d.err); err != nil {
		return nil, err
	}

	n = d.uvarint(maxRefundMemory, "remembered baskets")
	r := &t.recent
	skip := int(max(int64(n)-int64(r.capacity), 0)) // oldest first: forget the surplus
	for k := range int(n) {
		order, at := d.u64(), d.varint()
		items := make([]uint64, d.uvarint(maxMaxBasket, "remembered lines"))
		for j := range items {
			items[j] = d.u64()
		}
		if d.err != nil {
			break
		}
		if k < skip {
			continue
		}
		if _, dup := r.index.get(order); dup {
			return nil, fmt.Errorf("%w: order remembered twice", ErrBadState)
		}
		r.index.set(order, int32(len(r.slots)))
		r.slots = append(growTo(r.slots, r.capacity), recentSlot{order: order, at: at, items: items})
	}

	in := &t.insight
	if d.bool() {
		in.start = time.Unix(0, d.varint()).UTC()
	}
	in.done = d.bool()
	if out := d.bytes(math.MaxInt32); len(out) > 0 && d.err == nil {
		if err := json.Unmarshal(out, &in.out); err != nil {
			return nil, fmt.Errorf("%w: insight: %v", ErrBadState, err)
		}
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return t, nil
}

// restore rebuilds a decoded summary's heap and index, checking that the
// positions are a permutation in heap order and the keys distinct.
func restore[K comparable, V any](s *sketch[K, V], err error) error {
	if err != nil {
		return err
	}
	s.heap = make([]int32, len(s.entries))
	for i := range s.heap {
		s.heap[i] = -1
	}
	for i := range s.entries {
		e := &s.entries[i]
		if s.heap[e.pos] != -1 {
			return fmt.Errorf("%w: heap position %d taken twice", ErrBadState, e.pos)
		}
		s.heap[e.pos] = int32(i)
		if _, dup := s.index.get(e.key); dup {
			return fmt.Errorf("%w: key tracked twice", ErrBadState)
		}
		s.index.set(e.key, int32(i))
	}
	for j := 1; j < len(s.heap); j++ {
		if s.less(j, (j-1)/2) {
			return fmt.Errorf("%w: heap order", ErrBadState)
		}
	}
	return nil
}

func appendF64(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// stateReader reads a record; the first error sticks and every later read
// returns zero.
type stateReader struct {
	b   []byte
	off int
	err error
}

func (d *stateReader) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d", ErrBadState, what, d.off)
	}
}

func (d *stateReader) byte() byte {
	if d.err != nil || d.off >= len(d.b) {
		d.fail("short")
		return 0
	}
	d.off++
	return d.b[d.off-1]
}

func (d *stateReader) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("flag")
	return false
}

func (d *stateReader) u64() uint64 {
	if d.err != nil || len(d.b)-d.off < 8 {
		d.fail("short")
		return 0
	}
	d.off += 8
	return binary.LittleEndian.Uint64(d.b[d.off-8:])
}

func (d *stateReader) f64() float64 { return math.Float64frombits(d.u64()) }

// count is a non-negative finite weight.
func (d *stateReader) count() float64 {
	f := d.f64()
	if !(f >= 0 && f <= math.MaxFloat64) {
		d.fail("count")
		return 0
	}
	return f
}

func (d *stateReader) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.off += n
	return v
}

// uvarint reads a number of at most limit.
func (d *stateReader) uvarint(limit uint64, what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 || v > limit {
		d.fail(what)
		return 0
	}
	d.off += n
	return v
}

// bytes reads a length-prefixed byte string of at most limit bytes; it
// shares the record's memory.
func (d *stateReader) bytes(limit uint64) []byte {
	l := d.uvarint(limit, "length")
	if d.err != nil || l > uint64(len(d.b)-d.off) {
		d.fail("short")
		return nil
	}
	d.off += int(l)
	return d.b[d.off-int(l) : d.off]
}

func (d *stateReader) end() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail("trailing bytes")
	}
	return d.err
}
