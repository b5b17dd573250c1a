package windows

import (
	"encoding/binary"
	"slices"
)

// Sealed panes. A pane whose every window has emitted is only read again
// for a correction, within the correction horizon (24 h by default): with
// one or two events in most closed 1-minute panes, a full memPane (a map
// entry, a pointer, a 104-byte Aggregate per currency, a customer slice)
// would cost 10 times its content. The engine tells the store when panes
// are past their last window (paneSealer); MemStore then packs each into a
// few bytes of one per-grid buffer:
//
//	uvarint currencies, then per currency:
//	  uvarint currency index (MemStore.currencies)
//	  7 zig-zag varints: Orders .. ItemsSold, in Aggregate order
//	  customers: 0, uvarint n, n × 8-byte hashes (exact, sorted)
//	           | 1, uvarint k, k × (uint16 register, rank) (sparse sketch)
//	           | 2, 2048 register bytes (dense sketch)
//
// Reading merges the packed form directly; a late event unpacks the pane
// back into a memPane first. Packing is exact: the aggregates read back
// are the ones packed, registers included.

// paneSealer is implemented by stores that keep closed panes compactly.
type paneSealer interface {
	// Seal says the tenant's panes of grid g at starts will only be read
	// for corrections from now on. It may not fail: it changes the
	// representation, not the content.
	Seal(tenant string, g int, starts []int64)
}

// sealedPanes are a grid's packed panes: spans sorted by start, pointing
// into data. Bytes of removed spans stay in data until a compaction.
type sealedPanes struct {
	spans []sealedSpan
	data  []byte
	dead  int // bytes of data no span points to
}

type sealedSpan struct {
	start  int64
	off, n uint32
}

// maxCurrencyIndex bounds the store's currency table; a pane with a
// currency beyond it stays unpacked.
const maxCurrencyIndex = 1 << 12

// currencyIndex returns the index of currency in the store's table,
// adding it if there is room.
func (s *MemStore) currencyIndex(c string) (int, bool) {
	if i, ok := s.currencyIdx[c]; ok {
		return i, true
	}
	if len(s.currencies) >= maxCurrencyIndex {
		return 0, false
	}
	if s.currencyIdx == nil {
		s.currencyIdx = map[string]int{}
	}
	i := len(s.currencies)
	s.currencies = append(s.currencies, c)
	s.currencyIdx[c] = i
	return i, true
}

// Seal implements paneSealer.
func (s *MemStore) Seal(tenant string, g int, starts []int64) {
	t := s.tenants[tenant]
	if t == nil {
		return
	}
	gr := &t.grids[g]
	for _, start := range starts {
		i, ok := gr.find(start)
		if !ok {
			continue
		}
		p := gr.panes[i]
		if gr.sealed == nil {
			gr.sealed = new(sealedPanes)
		}
		if !s.pack(gr.sealed, p) {
			continue
		}
		gr.panes = slices.Delete(gr.panes, i, i+1)
		if gr.last == p {
			gr.last = nil
		}
		s.release(p)
	}
}

// pack appends p's packed form and its span; false (nothing changed) when
// a currency does not fit the table.
func (s *MemStore) pack(sp *sealedPanes, p *memPane) bool {
	var idx [8]int
	if len(p.aggs) > len(idx) {
		return false
	}
	for i := range p.aggs {
		ci, ok := s.currencyIndex(p.aggs[i].Currency)
		if !ok {
			return false
		}
		idx[i] = ci
	}
	off := len(sp.data)
	b := binary.AppendUvarint(sp.data, uint64(len(p.aggs)))
	for i := range p.aggs {
		a := &p.aggs[i]
		b = binary.AppendUvarint(b, uint64(idx[i]))
		for _, v := range [...]int64{a.Orders, a.CompletedOrders, a.CancelledOrders, a.RefundedOrders,
			a.CompletedRevenue, a.RefundedAmount, a.ItemsSold} {
			b = binary.AppendVarint(b, v)
		}
		b = a.Customers.appendPacked(b)
	}
	sp.data = b
	span := sealedSpan{start: p.start, off: uint32(off), n: uint32(len(b) - off)}
	i, _ := sp.find(p.start) // not found: a start is in the map or packed, never both
	sp.spans = slices.Insert(sp.spans, i, span)
	return true
}

func (sp *sealedPanes) len() int {
	if sp == nil {
		return 0
	}
	return len(sp.spans)
}

// find returns the index of the span at start, or where it would go; sp
// may be nil.
func (sp *sealedPanes) find(start int64) (int, bool) {
	if sp == nil {
		return 0, false
	}
	n := len(sp.spans)
	if n > 0 && sp.spans[n-1].start < start { // sealing goes forward in time
		return n, false
	}
	return slices.BinarySearchFunc(sp.spans, start, func(s sealedSpan, t int64) int { return cmp64(s.start, t) })
}

func (sp *sealedPanes) bytes(i int) []byte {
	s := sp.spans[i]
	return sp.data[s.off : s.off+s.n]
}

// remove drops span i; its bytes become dead.
func (sp *sealedPanes) remove(i int) {
	sp.dead += int(sp.spans[i].n)
	sp.spans = slices.Delete(sp.spans, i, i+1)
	sp.compact()
}

// removeStarts drops the spans at the given sorted starts.
func (sp *sealedPanes) removeStarts(starts []int64) {
	if len(sp.spans) == 0 || len(starts) == 0 {
		return
	}
	// Eviction takes the oldest panes: a prefix of the spans is the
	// common case, dropped by reslicing. starts may also hold panes that
	// were not packed.
	i, k := 0, 0
prefix:
	for i < len(starts) && k < len(sp.spans) {
		switch st := sp.spans[k].start; {
		case starts[i] == st:
			sp.dead += int(sp.spans[k].n)
			i++
			k++
		case starts[i] < st:
			i++
		default:
			break prefix
		}
	}
	sp.spans = sp.spans[k:]
	for _, st := range starts[i:] {
		if i, ok := sp.find(st); ok {
			sp.dead += int(sp.spans[i].n)
			sp.spans = slices.Delete(sp.spans, i, i+1)
		}
	}
	sp.compact()
}

// compact rewrites data once more than half of it is dead.
func (sp *sealedPanes) compact() {
	if len(sp.spans) == 0 {
		*sp = sealedPanes{}
		return
	}
	if sp.dead < 256 || 2*sp.dead < len(sp.data) {
		return
	}
	data := make([]byte, 0, len(sp.data)-sp.dead)
	spans := make([]sealedSpan, len(sp.spans))
	for i, s := range sp.spans {
		spans[i] = sealedSpan{start: s.start, off: uint32(len(data)), n: s.n}
		data = append(data, sp.data[s.off:s.off+s.n]...)
	}
	sp.spans, sp.data, sp.dead = spans, data, 0
}

// packedReader decodes one packed pane. The format is the store's own and
// always well formed: no error paths.
type packedReader struct {
	b []byte
}

func (r *packedReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	r.b = r.b[n:]
	return v
}

func (r *packedReader) varint() int64 {
	v, n := binary.Varint(r.b)
	r.b = r.b[n:]
	return v
}

// sums reads one aggregate's currency and sums into a (its Customers
// untouched); the customers follow (Customers.mergePacked).
func (r *packedReader) sums(a *Aggregate, currencies []string) {
	*a = Aggregate{Currency: currencies[r.uvarint()]}
	a.Orders = r.varint()
	a.CompletedOrders = r.varint()
	a.CancelledOrders = r.varint()
	a.RefundedOrders = r.varint()
	a.CompletedRevenue = r.varint()
	a.RefundedAmount = r.varint()
	a.ItemsSold = r.varint()
}

// mergePacked merges a packed pane into dst (Read).
func (s *MemStore) mergePacked(b []byte, dst *Totals) {
	r := packedReader{b: b}
	var a Aggregate
	for range r.uvarint() {
		r.sums(&a, s.currencies)
		d := dst.For(a.Currency)
		d.Merge(&a) // the sums: a.Customers is empty
		d.Customers.mergePacked(&r)
	}
}

// unseal turns packed pane i of sp back into p (a late event goes into
// it) and drops the packed form.
func (s *MemStore) unseal(sp *sealedPanes, i int, p *memPane) {
	p.start = sp.spans[i].start
	r := packedReader{b: sp.bytes(i)}
	var a Aggregate
	for range r.uvarint() {
		r.sums(&a, s.currencies)
		d := p.agg(a.Currency)
		d.Merge(&a)
		d.Customers.mergePacked(&r)
	}
	sp.remove(i)
}

// Customers in the packed form.
const (
	packedExact  = 0
	packedSparse = 1
	packedDense  = 2
)

func (c *Customers) appendPacked(b []byte) []byte {
	if c.hll == nil {
		b = append(b, packedExact)
		b = binary.AppendUvarint(b, uint64(len(c.exact)))
		for _, h := range c.exact {
			b = binary.LittleEndian.AppendUint64(b, h)
		}
		return b
	}
	nz := 0
	for _, r := range c.hll {
		if r != 0 {
			nz++
		}
	}
	if 3*nz >= hllM {
		b = append(b, packedDense)
		return append(b, c.hll[:]...)
	}
	b = append(b, packedSparse)
	b = binary.AppendUvarint(b, uint64(nz))
	for i, r := range c.hll {
		if r != 0 {
			b = binary.LittleEndian.AppendUint16(b, uint16(i))
			b = append(b, r)
		}
	}
	return b
}

// mergePacked adds the packed customer set at r to c, consuming it.
func (c *Customers) mergePacked(r *packedReader) {
	kind := r.b[0]
	r.b = r.b[1:]
	switch kind {
	case packedExact:
		n := int(r.uvarint())
		for i := range n {
			c.Add(binary.LittleEndian.Uint64(r.b[8*i:]))
		}
		r.b = r.b[8*n:]
	case packedSparse:
		if c.hll == nil {
			c.toSketch()
		}
		n := int(r.uvarint())
		for i := range n {
			e := r.b[3*i:]
			if reg, rank := binary.LittleEndian.Uint16(e), e[2]; rank > c.hll[reg] {
				c.hll[reg] = rank
			}
		}
		r.b = r.b[3*n:]
	case packedDense:
		c.MergeRegisters(r.b[:hllM])
		r.b = r.b[hllM:]
	}
}
