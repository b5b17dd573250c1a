package eventgen

import (
	"encoding/hex"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// Message is one Pub/Sub message as a producer would publish it.
type Message struct {
	Payload    []byte
	Attributes map[string]string
	// PublishAt is the simulated publish time; it never decreases from one
	// message to the next.
	PublishAt time.Time
	// Tenant is the tenant the producer meant, even when the payload is
	// malformed.
	Tenant string
	// Order is what the payload decodes to; nil when it is malformed.
	Order *events.Order
	// Expect is the reason the decoder rejects the message with; "" when it
	// is valid.
	Expect events.Reason
	// Fault names the malformation (see Faults); "" when valid.
	Fault string
	// Duplicate marks a second delivery of an earlier valid message: same
	// payload, attributes and event_id.
	Duplicate bool
	// Late marks an event published 30 minutes or more after it occurred.
	Late bool
}

// Generator produces messages in publish order. Use New.
type Generator struct {
	cfg     Config
	r       *rand.Rand
	tenants []*tenant
	cum     []float64 // cumulative tenant peak rates, for picking a candidate
	total   float64   // sum of peak rates, candidates per ns
	labels  []Label
	faultW  []float64 // cumulative fault weights
	faults  []fault

	end         int64 // ns; nothing is published at or after it
	future      time.Time
	nextArrival int64
	q           queue
	seq         uint64
	emitted     int
	idBuf       [32]byte
}

// New returns a generator for cfg, or cfg's validation errors.
func New(cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	g := &Generator{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15))}
	g.tenants = newTenants(&cfg, g.r)
	g.labels = placeAnomalies(g.tenants, &cfg, g.r)
	g.cum = make([]float64, len(g.tenants))
	for i, t := range g.tenants {
		maxRate := 1.0
		for _, a := range t.anomalies {
			maxRate = max(maxRate, a.rate)
		}
		t.peak = t.base * t.maxShape() * maxRate
		g.total += t.peak
		g.cum[i] = g.total
	}
	var w float64
	for _, f := range faults {
		if f.attr && cfg.PayloadOnly {
			continue
		}
		w += f.weight
		g.faults = append(g.faults, f)
		g.faultW = append(g.faultW, w)
	}
	start := cfg.Start.UnixNano()
	g.end = cfg.Start.Add(cfg.Duration).UnixNano()
	g.future = time.Unix(0, g.end).Add(24 * time.Hour).UTC()
	if now := cfg.Now.Add(24 * time.Hour); now.After(g.future) {
		g.future = now.UTC()
	}
	g.nextArrival = start + g.interArrival()
	return g, nil
}

// Labels are the injected anomalies, ordered by start.
func (g *Generator) Labels() []Label { return append([]Label(nil), g.labels...) }

// Tenants lists the tenant ids, largest volume first.
func (g *Generator) Tenants() []string {
	ids := make([]string, len(g.tenants))
	for i, t := range g.tenants {
		ids[i] = t.id
	}
	return ids
}

// Start and End bound the simulated span: every PublishAt is in [Start, End).
func (g *Generator) Start() time.Time { return g.cfg.Start }

// End is the end of the simulated span (exclusive).
func (g *Generator) End() time.Time { return time.Unix(0, g.end).UTC() }

// Next returns the next message in publish order, and false when the span
// or MaxEvents is exhausted.
func (g *Generator) Next() (Message, bool) {
	if g.cfg.MaxEvents > 0 && g.emitted >= g.cfg.MaxEvents {
		return Message{}, false
	}
	// Every event of an order is published at or after its creation, so
	// once the next arrival is past the queue's head the head is final.
	for g.nextArrival < g.end && (g.q.len() == 0 || g.nextArrival <= g.q.head().at) {
		g.arrive(g.nextArrival)
		g.nextArrival += g.interArrival()
	}
	if g.q.len() == 0 {
		return Message{}, false
	}
	p := g.q.pop()
	g.emitted++
	return g.emit(p), true
}

func (g *Generator) interArrival() int64 {
	return int64(g.r.ExpFloat64()/g.total) + 1
}

// pending is an event waiting in the queue for its publish time.
type pending struct {
	at    int64 // publish time, ns
	seq   uint64
	order *events.Order
	t     *tenant
	late  bool
	dup   *Message // set for a duplicate delivery
}

func (g *Generator) push(p pending) {
	if p.at >= g.end {
		return
	}
	g.seq++
	p.seq = g.seq
	g.q.push(p)
}

// arrive is a candidate arrival at ns: thinning keeps it with the chosen
// tenant's current rate over its peak rate.
func (g *Generator) arrive(at int64) {
	i := sort.SearchFloat64s(g.cum, g.r.Float64()*g.total)
	if i >= len(g.tenants) {
		i = len(g.tenants) - 1
	}
	t := g.tenants[i]
	rate, price := t.factors(at)
	if g.r.Float64()*t.peak > t.base*t.shape(at)*rate {
		return
	}
	g.order(t, at, price)
}

const (
	minute = int64(time.Minute)
	hour   = int64(time.Hour)
	day    = int64(24 * time.Hour)
)

var basketSizes = []float64{0.45, 0.70, 0.85, 0.95, 1} // cumulative, 1..5 lines

// order creates an order at ns and queues its lifecycle.
func (g *Generator) order(t *tenant, at int64, priceFactor float64) {
	r := g.r
	t.orders++
	created := &events.Order{
		Type:     events.OrderCreated,
		TenantID: t.id,
		OrderID:  "ord-" + strconv.FormatUint(t.orders, 10),
		Status:   "pending",
		Currency: t.currency,
	}
	if r.Float64() >= 0.15 {
		created.CustomerID = t.customers[t.buyers.Uint64()]
	}
	u := r.Float64()
	n := 1
	for n < len(basketSizes) && u >= basketSizes[n-1] {
		n++
	}
	items := make([]events.Item, 0, n)
	for range n {
		k := t.items.Uint64()
		q := int64(1)
		if v := r.Float64(); v > 0.93 {
			q = 3
		} else if v > 0.75 {
			q = 2
		}
		price := t.prices[k]
		if priceFactor != 1 {
			price = int64(float64(price) * priceFactor)
		}
		items = append(items, events.Item{SKU: t.skus[k], Quantity: q, UnitPrice: price})
		created.Amount += q * price
	}
	created.Items = items
	g.event(t, created, at)

	switch u := r.Float64(); {
	case u < 0.86:
		done := at + minute + int64(r.ExpFloat64()*float64(10*minute))
		done = min(done, at+2*hour)
		completed := g.next(created, events.OrderCompleted, "completed", done)
		g.event(t, completed, done)
		if r.Float64() < 0.05 {
			back := done + day + int64(r.Float64()*float64(14*day))
			refund := g.next(created, events.OrderRefunded, "refunded", back)
			if r.Float64() < 0.4 && len(items) > 1 {
				line := items[r.IntN(len(items))]
				refund.Items = []events.Item{line}
				refund.Amount = line.Quantity * line.UnitPrice
				refund.Status = "partially_refunded"
			}
			g.event(t, refund, back)
		}
	case u < 0.95:
		gone := at + 2*minute + r.Int64N(6*hour)
		g.event(t, g.next(created, events.OrderCancelled, "cancelled", gone), gone)
	}
}

// next is the order's following lifecycle event at ns.
func (g *Generator) next(o *events.Order, typ events.EventType, status string, at int64) *events.Order {
	n := *o
	n.Type = typ
	n.Status = status
	n.OccurredAt = time.Unix(0, at).UTC()
	return &n
}

// event queues o, occurring at ns, with its publish delay.
func (g *Generator) event(t *tenant, o *events.Order, at int64) {
	o.EventID = g.eventID()
	o.OccurredAt = time.Unix(0, at).UTC()
	p := pending{order: o, t: t}
	switch u := g.r.Float64(); {
	case u < g.cfg.LateShare:
		p.late = true
		p.at = at + 30*minute + g.r.Int64N(36*hour-30*minute)
	case u < g.cfg.LateShare+g.cfg.OutOfOrderShare:
		p.at = at + int64(5*time.Second) + g.r.Int64N(10*minute)
	default:
		p.at = at + int64(20*time.Millisecond) + g.r.Int64N(int64(1500*time.Millisecond))
	}
	g.push(p)
}

func (g *Generator) eventID() string {
	var raw [16]byte
	a, b := g.r.Uint64(), g.r.Uint64()
	for i := range 8 {
		raw[i] = byte(a >> (8 * i))
		raw[8+i] = byte(b >> (8 * i))
	}
	raw[6] = raw[6]&0x0f | 0x40 // shaped like a UUIDv4, without dashes
	raw[8] = raw[8]&0x3f | 0x80
	hex.Encode(g.idBuf[:], raw[:])
	return string(g.idBuf[:])
}

// emit renders a queued event as a message.
func (g *Generator) emit(p pending) Message {
	at := time.Unix(0, p.at).UTC()
	if p.dup != nil {
		m := *p.dup
		m.PublishAt = at
		m.Duplicate = true
		return m
	}
	m := Message{PublishAt: at, Tenant: p.t.id, Late: p.late}
	if g.cfg.MalformedShare > 0 && g.r.Float64() < g.cfg.MalformedShare {
		f := &g.faults[sort.SearchFloat64s(g.faultW, g.r.Float64()*g.faultW[len(g.faultW)-1])]
		m.Payload, m.Attributes = malform(f, p.order, at, g.future, g.tenants, g.r)
		m.Expect, m.Fault = f.reason, f.name
		return m
	}
	m.Order = p.order
	m.Payload = p.order.AppendJSON(make([]byte, 0, 320+64*len(p.order.Items)))
	m.Attributes = p.order.Attributes()
	if g.cfg.DuplicateShare > 0 && g.r.Float64() < g.cfg.DuplicateShare {
		dup := m
		g.push(pending{at: p.at + int64(100*time.Millisecond) + g.r.Int64N(3*minute), t: p.t, dup: &dup})
	}
	return m
}
