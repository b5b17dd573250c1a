package recommend

import "unsafe"

// recent remembers the baskets of a tenant's last capacity completed orders,
// first in first out, keyed by a hash of the order id: what a refund needs
// to undo exactly (the lines and the completion time, hence the weight), and
// what makes a redelivered completion a no-op.
type recent struct {
	capacity int
	index    index[uint64]
	slots    []recentSlot
	next     int // the slot to overwrite once full
}

type recentSlot struct {
	order uint64
	at    int64    // completion time, unix ns
	items []uint64 // distinct SKU hashes still counted; empty once fully refunded
}

const recentSlotSize = unsafe.Sizeof(recentSlot{})

func newRecent(capacity int) recent {
	return recent{capacity: capacity, index: newIndex(hashU64)}
}

func (r *recent) get(order uint64) (*recentSlot, bool) {
	i, ok := r.index.get(order)
	if !ok {
		return nil, false
	}
	return &r.slots[i], true
}

// put remembers an order, forgetting the oldest one when full. The slot's
// item array is reused, so memory stays at capacity × MaxBasket hashes.
func (r *recent) put(order uint64, at int64, items []uint64) {
	if len(r.slots) < r.capacity {
		r.index.set(order, int32(len(r.slots)))
		r.slots = append(growTo(r.slots, r.capacity), recentSlot{order: order, at: at, items: append([]uint64(nil), items...)})
		return
	}
	s := &r.slots[r.next]
	r.index.delete(s.order)
	s.order, s.at, s.items = order, at, append(s.items[:0], items...)
	r.index.set(order, int32(r.next))
	r.next = (r.next + 1) % r.capacity
}
