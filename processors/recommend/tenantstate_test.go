package recommend

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// stream is a random order stream of one tenant: completions of up to 8
// lines from 40 SKUs, out of order by up to 30 minutes over many
// half-lives (so counts are renormalised), redeliveries, full and partial
// refunds, refunds of unknown orders, and other event types.
func stream(seed uint64, n int, from time.Time) []*events.Order {
	r := rand.New(rand.NewPCG(seed, 1))
	var out []*events.Order
	var ids []string
	at := from
	for i := range n {
		at = at.Add(time.Duration(r.Int64N(int64(3 * time.Minute))))
		when := at.Add(-time.Duration(r.Int64N(int64(30 * time.Minute))))
		switch u := r.Float64(); {
		case u < 0.75 || len(ids) == 0:
			id := "o" + strconv.FormatUint(seed, 10) + "-" + strconv.Itoa(i)
			var skus []string
			for range 1 + r.IntN(8) {
				skus = append(skus, "S"+strconv.Itoa(int(r.ExpFloat64()*8)%40))
			}
			out = append(out, order("t1", id, events.OrderCompleted, when, skus...))
			ids = append(ids, id)
		case u < 0.8:
			id := ids[r.IntN(len(ids))]
			out = append(out, order("t1", id, events.OrderCompleted, when, "S1", "S2"))
		case u < 0.87:
			out = append(out, order("t1", ids[r.IntN(len(ids))], events.OrderRefunded, at))
		case u < 0.95:
			out = append(out, order("t1", ids[r.IntN(len(ids))], events.OrderRefunded, at, "S"+strconv.Itoa(r.IntN(10))))
		case u < 0.97:
			out = append(out, order("t1", "unknown"+strconv.Itoa(i), events.OrderRefunded, at, "S3", "S4"))
		default:
			out = append(out, order("t1", "o-created", events.OrderCreated, at, "S1"))
		}
	}
	return out
}

// smallConfig fills every structure quickly: evictions, forgotten baskets.
func smallConfig() Config {
	return Config{HalfLife: time.Hour, ItemCapacity: 24, PairCapacity: 60, RefundMemory: 50, MaxBasket: 5,
		MinBaskets: 1, MinItemCount: 0.5, MinPairCount: 0.2, InsightPeriod: time.Hour, InsightPairs: 3, InsightLift: 1.2}
}

func encodeTenant(t *testing.T, m *Model, tenant string) []byte {
	t.Helper()
	b, err := m.AppendTenant(nil, tenant)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameAnswers compares every answer the two models give about t1 at now.
func sameAnswers(t *testing.T, a, b *Model, now time.Time) {
	t.Helper()
	for i := range 40 {
		sku := "S" + strconv.Itoa(i)
		ra, errA := a.Recommend("t1", sku, 10, now)
		rb, errB := b.Recommend("t1", sku, 10, now)
		if errA != nil || errB != nil || !reflect.DeepEqual(ra, rb) {
			t.Fatalf("%s at %s:\n%+v %v\n%+v %v", sku, now, ra, errA, rb, errB)
		}
	}
	if pa, pb := a.Pairs("t1", now), b.Pairs("t1", now); !reflect.DeepEqual(pa, pb) {
		t.Fatalf("pairs differ: %d and %d rows", len(pa), len(pb))
	}
}

// TestTenantStateRoundTrip encodes a tenant mid-stream (summaries full,
// baskets forgotten, counts renormalised, insights announced), decodes it
// into another model, and checks that the decoded state encodes to the
// same bytes, answers the same, and evolves the same: the rest of the
// stream, with its insights, leaves both models byte-identical.
func TestTenantStateRoundTrip(t *testing.T) {
	cfg := smallConfig()
	orders := stream(1, 3000, t0)
	a := newModel(t, cfg)
	var at time.Time
	for i, o := range orders[:2000] {
		a.Observe(o)
		at = o.OccurredAt
		if i%300 == 0 {
			a.Insights("t1", at)
		}
	}
	a.Insights("t1", at) // the current period's insight is cached in the state
	st := a.Stats()
	if st.Duplicates == 0 || st.RefundsExact == 0 || st.RefundsApprox == 0 || st.Truncated == 0 || a.tenants["t1"].items.len() != cfg.ItemCapacity ||
		a.tenants["t1"].pairs.len() != cfg.PairCapacity || len(a.tenants["t1"].recent.slots) != cfg.RefundMemory {
		t.Fatalf("the stream does not exercise every structure: %+v", st)
	}
	enc := encodeTenant(t, a, "t1")
	b := newModel(t, cfg)
	if err := b.LoadTenant("t1", enc); err != nil {
		t.Fatal(err)
	}
	if got := encodeTenant(t, b, "t1"); !bytes.Equal(got, enc) {
		t.Fatalf("decoded state encodes differently (%d and %d bytes)", len(got), len(enc))
	}
	if got := b.TakeChanged(); !reflect.DeepEqual(got, []string{"t1"}) {
		t.Fatalf("a loaded tenant is changed: %v", got)
	}
	sameAnswers(t, a, b, at)
	if ia, ib := a.Insights("t1", at), b.Insights("t1", at); len(ia) == 0 || !reflect.DeepEqual(ia, ib) {
		t.Fatalf("the period's insight differs or is empty:\n%+v\n%+v", ia, ib)
	}
	for i, o := range orders[2000:] {
		a.Observe(o)
		b.Observe(o)
		at = o.OccurredAt
		if i%200 == 0 {
			if ia, ib := a.Insights("t1", at), b.Insights("t1", at); !reflect.DeepEqual(ia, ib) {
				t.Fatalf("insight at %s differs:\n%+v\n%+v", at, ia, ib)
			}
		}
	}
	if ea, eb := encodeTenant(t, a, "t1"), encodeTenant(t, b, "t1"); !bytes.Equal(ea, eb) {
		t.Fatal("the models diverged after the same orders")
	}
	sameAnswers(t, a, b, at.Add(3*time.Hour))
	t.Logf("state of %d SKUs, %d pairs, %d baskets: %d bytes", cfg.ItemCapacity, cfg.PairCapacity, cfg.RefundMemory, len(enc))
}

func TestTenantStateWithoutState(t *testing.T) {
	a := newModel(t, smallConfig())
	enc := encodeTenant(t, a, "nobody")
	b := newModel(t, smallConfig())
	b.Observe(order("nobody", "o1", events.OrderCompleted, t0, "A", "B"))
	if err := b.LoadTenant("nobody", enc); err != nil {
		t.Fatal(err)
	}
	if len(b.Tenants()) != 0 || len(b.TakeChanged()) != 0 {
		t.Fatalf("loading no state left %v", b.Tenants())
	}
}

// A model configured differently loads what it can hold exactly and
// refuses the rest, leaving its own state as it was.
func TestTenantStateOtherConfig(t *testing.T) {
	cfg := smallConfig()
	a := newModel(t, cfg)
	for _, o := range stream(2, 1500, t0) {
		a.Observe(o)
	}
	enc := encodeTenant(t, a, "t1")
	for _, c := range []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"larger capacities", func(c *Config) { c.ItemCapacity, c.PairCapacity, c.RefundMemory = 100, 100, 100 }, true},
		{"smaller refund memory", func(c *Config) { c.RefundMemory = 10 }, true},
		{"other thresholds", func(c *Config) { c.MinBaskets, c.MaxBasket = 7, 9 }, true},
		{"smaller item capacity", func(c *Config) { c.ItemCapacity = 10 }, false},
		{"smaller pair capacity", func(c *Config) { c.PairCapacity = 10 }, false},
		{"other half-life", func(c *Config) { c.HalfLife = 2 * time.Hour }, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cc := cfg
			c.edit(&cc)
			b := newModel(t, cc)
			b.Observe(order("t1", "mine", events.OrderCompleted, t0, "X", "Y"))
			before := encodeTenant(t, b, "t1")
			err := b.LoadTenant("t1", enc)
			if c.ok != (err == nil) {
				t.Fatalf("load: %v, want ok %v", err, c.ok)
			}
			if !c.ok {
				if !errors.Is(err, ErrBadState) || !bytes.Equal(encodeTenant(t, b, "t1"), before) {
					t.Fatalf("a refused load changed the state or is not ErrBadState: %v", err)
				}
				return
			}
			r := &b.tenants["t1"].recent
			if want := min(cc.RefundMemory, cfg.RefundMemory); len(r.slots) != want {
				t.Fatalf("%d remembered baskets, want %d", len(r.slots), want)
			}
			// The newest baskets are the ones kept: the last completion
			// is remembered and a redelivery of it is not counted.
			last := &a.tenants["t1"].recent
			newest := last.slots[(last.next+len(last.slots)-1)%len(last.slots)]
			if _, ok := r.get(newest.order); !ok {
				t.Fatal("the newest basket was forgotten")
			}
		})
	}
}

// Observe of an order and ObserveBasket of its payload leave identical
// states, and the payload holds just the distinct SKUs a model reads.
func TestBasketPayload(t *testing.T) {
	cfg := smallConfig()
	a, b := newModel(t, cfg), newModel(t, cfg)
	orders := stream(3, 2500, t0)
	a.Observe(orders[0])
	if err := b.LoadTenant("t1", encodeTenant(t, a, "t1")); err != nil { // same seed
		t.Fatal(err)
	}
	a.stats = Stats{}
	var buf []byte
	sent := 0
	for _, o := range orders[1:] {
		a.Observe(o)
		buf = a.AppendBasket(buf[:0], o)
		if len(buf) == 0 {
			continue
		}
		sent++
		if err := b.ObserveBasket("t1", string(buf)); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(encodeTenant(t, a, "t1"), encodeTenant(t, b, "t1")) {
		t.Fatal("the payloads taught a different model than the orders")
	}
	sa, sb := a.Stats(), b.Stats()
	sa.Ignored, sb.Ignored = 0, 0 // other types have no payload
	if sa != sb {
		t.Fatalf("stats differ:\norders   %+v\npayloads %+v", sa, sb)
	}
	if sent == 0 || sent == len(orders)-1 {
		t.Fatalf("%d of %d orders sent a payload", sent, len(orders)-1)
	}

	long := order("t1", "big", events.OrderCompleted, t0)
	for i := range 300 {
		long.Items = append(long.Items, events.Item{SKU: "L" + strconv.Itoa(i%40)})
	}
	var o events.Order
	if err := DecodeBasket("t1", string(a.AppendBasket(nil, long)), &o); err != nil {
		t.Fatal(err)
	}
	if len(o.Items) != cfg.MaxBasket+1 || o.Items[0].SKU != "L0" || o.Items[cfg.MaxBasket].SKU != "L5" || o.OrderID != "big" ||
		o.Type != events.OrderCompleted || !o.OccurredAt.Equal(t0) || o.TenantID != "t1" {
		t.Fatalf("decoded %+v", o)
	}
	long.Type = events.OrderRefunded
	if err := DecodeBasket("t1", string(a.AppendBasket(nil, long)), &o); err != nil || len(o.Items) != 40 {
		t.Fatalf("refund payload: %d SKUs, %v; want the 40 distinct", len(o.Items), err)
	}
}

// Orders without items (and other types) add nothing, and appending to a
// buffer with room allocates nothing.
func TestAppendBasketAllocations(t *testing.T) {
	m := newModel(t, Config{})
	empty := order("t1", "o1", events.OrderCompleted, t0)
	created := order("t1", "o1", events.OrderCreated, t0, "A", "B")
	full := order("t1", "o1", events.OrderCompleted, t0, "A", "B", "A", "C")
	buf := make([]byte, 0, 256)
	if got := m.AppendBasket(buf, empty); len(got) != 0 {
		t.Fatalf("a completion without items has a payload: %q", got)
	}
	if got := m.AppendBasket(buf, created); len(got) != 0 {
		t.Fatalf("a created event has a payload: %q", got)
	}
	for name, o := range map[string]*events.Order{"empty": empty, "full": full} {
		if n := testing.AllocsPerRun(100, func() { buf = m.AppendBasket(buf[:0], o) }); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
	var o events.Order
	p := string(m.AppendBasket(nil, full))
	if n := testing.AllocsPerRun(100, func() { _ = DecodeBasket("t1", p, &o) }); n != 0 {
		t.Errorf("decoding: %v allocations", n)
	}
}

func TestDecodeBasketRejects(t *testing.T) {
	m := newModel(t, Config{})
	good := m.AppendBasket(nil, order("t1", "o1", events.OrderCompleted, t0, "A", "B"))
	for name, p := range map[string][]byte{
		"empty":           nil,
		"version":         append([]byte{9}, good[1:]...),
		"type":            append([]byte{good[0], 'x'}, good[2:]...),
		"truncated":       good[:len(good)-1],
		"trailing":        append(append([]byte(nil), good...), 0),
		"too many SKUs":   append(append([]byte(nil), good[:len(good)-5]...), 200, 1),
		"oversized id":    {basketVersion, basketCompleted, 0, 0xff, 0x7f},
		"oversized SKU":   {basketVersion, basketCompleted, 0, 0, 1, 0xff, 0x7f},
		"unending varint": {basketVersion, basketCompleted, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	} {
		var o events.Order
		if err := DecodeBasket("t1", string(p), &o); !errors.Is(err, ErrBadBasket) {
			t.Errorf("%s: %v, want ErrBadBasket", name, err)
		}
	}
}

func FuzzDecodeBasket(f *testing.F) {
	m, _ := New(Config{})
	f.Add(m.AppendBasket(nil, order("t1", "o1", events.OrderCompleted, t0, "A", "B")))
	f.Add(m.AppendBasket(nil, order("t1", "o1", events.OrderRefunded, t0)))
	f.Fuzz(func(t *testing.T, p []byte) {
		var o events.Order
		if err := DecodeBasket("t1", string(p), &o); err != nil {
			return
		}
		// What decodes re-encodes to itself (SKUs are distinct only when
		// the writer made them so, hence the weaker check then).
		again := m.AppendBasket(nil, &o)
		if o.Type == events.OrderCompleted && len(o.Items) == 0 {
			return
		}
		var o2 events.Order
		if err := DecodeBasket("t1", string(again), &o2); err != nil {
			t.Fatalf("re-encoded payload does not decode: %v", err)
		}
		if o2.OrderID != o.OrderID || o2.Type != o.Type || !o2.OccurredAt.Equal(o.OccurredAt) {
			t.Fatalf("round trip changed %+v to %+v", o, o2)
		}
		_ = m.ObserveBasket("t1", string(p)) // decoded above: cannot fail
	})
}

func FuzzLoadTenant(f *testing.F) {
	cfg := smallConfig()
	a, _ := New(cfg)
	for _, o := range stream(4, 300, t0) {
		a.Observe(o)
	}
	a.Insights("t1", t0.Add(10*time.Hour))
	enc, _ := a.AppendTenant(nil, "t1")
	f.Add(enc)
	f.Add([]byte{stateVersion, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, _ := New(cfg)
		if err := m.LoadTenant("t1", b); err != nil {
			return
		}
		// A loaded state works and encodes to what it decoded from.
		again, err := m.AppendTenant(nil, "t1")
		if err != nil {
			return // an insight that JSON cannot hold
		}
		m2, _ := New(cfg)
		if err := m2.LoadTenant("t1", again); err != nil {
			t.Fatalf("re-encoded state does not load: %v", err)
		}
		for _, o := range stream(5, 50, t0) {
			m.Observe(o)
		}
		_, _ = m.Recommend("t1", "S1", 5, t0)
		m.Pairs("t1", t0)
	})
}
