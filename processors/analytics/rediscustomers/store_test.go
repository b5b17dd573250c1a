package rediscustomers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/analytics"
	"github.com/olympus-cloud/pulse/processors/analytics/customertest"
	"github.com/olympus-cloud/pulse/windows"
	"github.com/olympus-cloud/pulse/windows/redisstore/redistest"
)

const day = 24 * time.Hour

func TestContract(t *testing.T) {
	c := redistest.Client(t)
	customertest.Run(t, func(t *testing.T, maxPerTenant int) analytics.CustomerStore {
		// A pass every sweep (Interval 1ns of the simulated clock), all in
		// one call.
		return open(t, Config{Client: c, MaxPerTenant: maxPerTenant, Interval: time.Nanosecond, Page: 1 << 20})
	})
}

func newEngine(t testing.TB, s *Store) *analytics.Engine {
	t.Helper()
	e, err := analytics.New(analytics.Config{Customers: s})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func order(tenant, id, customer string, amount int64, at time.Time) *events.Order {
	return &events.Order{EventID: id, Type: events.OrderCompleted, TenantID: tenant, OrderID: "o-" + id,
		CustomerID: customer, Amount: amount, Currency: "USD", OccurredAt: at}
}

// Two replicas apply one tenant's orders concurrently, each order to
// whichever takes it (some twice): the figures are exact, and each move is
// reported once, by one replica, as a single replica would report it.
func TestReplicasReportEachMoveOnce(t *testing.T) {
	c := redistest.Client(t)
	prefix := redistest.Prefix(t)
	t0 := customertest.T0
	// 40 customers, 6 orders each of $300: New or High_Value first, then
	// VIP from the 4th order ($1,200).
	var orders []*events.Order
	for k := range 6 {
		for i := range 40 {
			orders = append(orders, order("shop", fmt.Sprintf("e%d-%d", i, k), fmt.Sprintf("c%02d", i), 30000, t0.Add(time.Duration(k)*time.Minute)))
		}
	}
	mem, err := analytics.New(analytics.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, o := range orders {
		rs, err := mem.ObserveOrder(o, t0)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, customertest.Changes(rs)...)
	}
	slices.Sort(want)

	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	for r := range 2 {
		e := newEngine(t, open(t, Config{Client: c, Prefix: prefix}))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, o := range orders {
				// Replica 0 takes even orders, replica 1 odd ones; every
				// fifth is redelivered to both.
				if i%2 != r && i%5 != 0 {
					continue
				}
				rs, err := e.ObserveOrders([]*events.Order{o}, t0)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got = append(got, customertest.Changes(rs)...)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("moves across replicas\n%v\nwant (one replica)\n%v", got, want)
	}
	// Exact figures: 6 orders and $1,800 each.
	vals, err := c.HGetAll(context.Background(), prefix+"cu:shop").Result()
	if err != nil || len(vals) != 40 {
		t.Fatalf("%d customers, %v", len(vals), err)
	}
	for f, v := range vals {
		st, seg, err := decodeValue(v)
		if err != nil || st.Orders != 6 || st.Spent != 180000 || seg != analytics.SegmentVIPActive {
			t.Errorf("%s: %+v %s %v", f, st, seg, err)
		}
	}
}

// The sweep runs on the holder of the tenant's lease shard only, page by
// page; a handover in the middle of a pass reports no move twice and the
// daily summary once.
func TestSweepByLeaseHolder(t *testing.T) {
	c := redistest.Client(t)
	prefix := redistest.Prefix(t)
	const shards = 4
	table := &leaseTable{owner: map[int]string{}}
	shard := windows.ShardOf("shop", shards)
	table.move(shard, "a")
	mk := func(me string) (*analytics.Engine, *Store) {
		s := open(t, Config{Client: c, Prefix: prefix, Leases: leaseView{table, me}, Shards: shards, Page: 50})
		return newEngine(t, s), s
	}
	a, _ := mk("a")
	b, _ := mk("b")
	t0 := customertest.T0
	// 700 customers (past hash-max-listpack-entries, 512 by default: a hash
	// table, so HSCAN pages), applied by b.
	var batch []*events.Order
	for i := range 700 {
		batch = append(batch, order("shop", fmt.Sprintf("e%d", i), fmt.Sprintf("c%03d", i), 100, t0))
	}
	if _, err := b.ObserveOrders(batch, t0); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(91 * day)
	atRisk := map[string]int{}
	summaries := 0
	collect := func(rs []analytics.Result) {
		for _, r := range rs {
			if r.Change != nil && r.Change.To == analytics.SegmentAtRisk {
				atRisk[r.Change.CustomerID]++
			}
			if r.Counts != nil {
				summaries++
				if r.Counts.Total != 700 || r.Counts.Count(analytics.SegmentAtRisk) != 700 {
					t.Errorf("summary counts %+v", r.Counts)
				}
			}
		}
	}
	sweep := func(e *analytics.Engine) int {
		rs, err := e.Sweep(now)
		if err != nil {
			t.Fatal(err)
		}
		collect(rs)
		return len(rs)
	}
	if n := sweep(b); n != 0 {
		t.Fatalf("b swept without the lease: %d results", n)
	}
	// a sweeps two pages' worth, then loses the lease; b (and a again,
	// which must not report anything now) sweep on.
	sweep(a)
	sweep(a)
	if len(atRisk) == 0 || len(atRisk) >= 700 || summaries != 0 {
		t.Fatalf("after two bounded steps: %d moves, %d summaries", len(atRisk), summaries)
	}
	table.move(shard, "b")
	for i := 0; i < 40 && summaries == 0; i++ {
		if n := sweep(a); n != 0 {
			t.Fatalf("a swept after losing the lease: %d results", n)
		}
		sweep(b)
	}
	if len(atRisk) != 700 || summaries != 1 {
		t.Fatalf("%d customers moved, %d summaries", len(atRisk), summaries)
	}
	for id, n := range atRisk {
		if n != 1 {
			t.Errorf("%s moved to At_Risk %d times", id, n)
		}
	}
	// Handing back: a's new pass reports nothing new and no second summary
	// the same day.
	table.move(shard, "a")
	for range 10 {
		sweep(a)
	}
	if len(atRisk) != 700 || summaries != 1 {
		t.Errorf("after handing back: %d moves, %d summaries", len(atRisk), summaries)
	}
}

// Keys expire: every key a write touches carries the TTL.
func TestKeysExpire(t *testing.T) {
	s := open(t, Config{TTL: 48 * time.Hour})
	e := newEngine(t, s)
	if _, err := e.ObserveOrder(order("shop", "e1", "c1", 100, customertest.T0), customertest.T0); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, k := range []string{"cu:shop", "cz:shop", "cm:shop", "ct:0"} {
		ttl, err := s.c.PTTL(ctx, s.cfg.Prefix+k).Result()
		if err != nil || ttl <= 47*time.Hour || ttl > 48*time.Hour {
			t.Errorf("%s: ttl %s, %v", k, ttl, err)
		}
	}
}

// TestMemoryPerCustomer measures what a customer costs in Redis (hash
// field and value, zset member) with MEMORY USAGE.
func TestMemoryPerCustomer(t *testing.T) {
	s := open(t, Config{})
	e := newEngine(t, s)
	const n = 20000
	var batch []*events.Order
	for i := range n {
		batch = append(batch, order("shop", fmt.Sprintf("event-%d", i), fmt.Sprintf("customer-%06d", i), 12345, customertest.T0.Add(time.Duration(i)*time.Second)))
		if len(batch) == 500 {
			if _, err := e.ObserveOrders(batch, customertest.T0); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	ctx := context.Background()
	var total int64
	for _, k := range []string{"cu:shop", "cz:shop"} {
		b, err := s.c.MemoryUsage(ctx, s.cfg.Prefix+k, 0).Result()
		if err != nil {
			t.Fatal(err)
		}
		total += b
	}
	per := total / n
	t.Logf("%d bytes per customer (15-character id)", per)
	if per > 400 {
		t.Errorf("%d bytes per customer, documented as under 400", per)
	}
	keys, err := s.c.Keys(ctx, s.cfg.Prefix+"ce:shop:*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("event-hour sets %v: %v", keys, err)
	}
	var sets int64
	for _, k := range keys {
		b, err := s.c.MemoryUsage(ctx, k, 0).Result()
		if err != nil {
			t.Fatal(err)
		}
		sets += b
	}
	t.Logf("%d bytes per event in the event-hour sets", sets/n)
	if sets/n > 100 {
		t.Errorf("%d bytes per event in the dedup sets, documented as about 50", sets/n)
	}
}

// A shared store is handed the orders the windows saw already (so an
// update lost to a Redis error is applied on redelivery): it must know an
// event seen long before, past the customer's latest four, from the
// tenant's event-hour sets.
func TestRedeliveryPastTheLatestFour(t *testing.T) {
	e := newEngine(t, open(t, Config{}))
	t0 := customertest.T0
	var first *events.Order
	for i := range 6 {
		o := order("shop", fmt.Sprintf("e%d", i), "c1", 100, t0.Add(time.Duration(i)*time.Hour))
		if i == 0 {
			first = o
		}
		if _, err := e.ObserveOrder(o, o.OccurredAt); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.ObserveOrder(first, t0.Add(6*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if s := e.Stats(); s.Orders != 6 || s.DuplicateOrders != 1 {
		t.Errorf("stats %+v, want 6 orders and 1 duplicate", s)
	}
}
