package redisstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/windows"
	"github.com/olympus-cloud/pulse/windows/redisstore/redistest"
)

// logged reads a tenant's basket log around any proxy: the payloads in
// stream order.
func logged(t *testing.T, s *Store, tenant string) (ids, payloads []string) {
	t.Helper()
	gaps := make([]bool, 1)
	err := s.ReadBaskets([]string{tenant}, []string{""}, 10_000, gaps, func(_ int, id, p string) {
		ids, payloads = append(ids, id), append(payloads, p)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, payloads
}

func remoteBatch(tenant string, keys ...uint64) []windows.RemoteUpdate {
	var b []windows.RemoteUpdate
	for _, k := range keys {
		u := windows.RemoteUpdate{Shard: 0, Now: 1, Floor: -1}
		u.Tenant, u.EventKey, u.At, u.Currency, u.Grids = tenant, k, 0, "USD", 1
		u.PaneEnd[0], u.LastEnd[0] = 10, 10
		if k%10 != 0 { // every tenth event has no payload
			u.Attach = fmt.Appendf(nil, "basket-%d", k)
		}
		b = append(b, u)
	}
	return b
}

// The apply script logs an event's payload once: not for an event without
// one, not for a duplicate in the same batch or a later one, and an
// update's payload goes only to its own tenant's log, in apply order.
func TestBasketLoggedOncePerEvent(t *testing.T) {
	s := openStore(t, Config{})
	res := make([]windows.RemoteResult, 16)
	apply := func(b []windows.RemoteUpdate) []windows.RemoteResult {
		t.Helper()
		if err := s.ApplyRemote(b, res); err != nil {
			t.Fatal(err)
		}
		return res[:len(b)]
	}
	first := append(remoteBatch("a", 1, 2, 10, 2, 3), remoteBatch("b", 1)...) // 2 twice in one batch
	if r := apply(first); !r[3].Duplicate || r[1].Duplicate {
		t.Fatalf("results %+v", r)
	}
	if r := apply(remoteBatch("a", 3, 4, 1)); !r[0].Duplicate || r[1].Duplicate || !r[2].Duplicate { // a redelivery
		t.Fatalf("results %+v", r)
	}
	_, got := logged(t, s, "a")
	if want := []string{"basket-1", "basket-2", "basket-3", "basket-4"}; !slices.Equal(got, want) {
		t.Fatalf("log of a %q, want %q", got, want)
	}
	if _, got := logged(t, s, "b"); !slices.Equal(got, []string{"basket-1"}) {
		t.Fatalf("log of b %q", got)
	}
	// The single-engine Store logs attachments too (the engine sets none).
	u := []windows.Update{{Tenant: "c", EventKey: 1, Currency: "USD", Grids: 1, Attach: []byte("x")}, {Tenant: "c", EventKey: 1, Currency: "USD", Grids: 1, Attach: []byte("x")}}
	if err := s.Apply(u, make([]bool, 2)); err != nil {
		t.Fatal(err)
	}
	if _, got := logged(t, s, "c"); !slices.Equal(got, []string{"x"}) {
		t.Fatalf("log of c %q", got)
	}
	ttl, err := s.Client().PTTL(context.Background(), s.basketKey("a")).Result()
	if err != nil || ttl < DefaultModelTTL-time.Minute {
		t.Fatalf("basket log ttl %s, %v; want %s", ttl, err, DefaultModelTTL)
	}
}

// A failed apply logs nothing, and one whose reply was lost logged its
// payloads once: the redelivery is a duplicate and logs nothing more.
// With the log written by a second call after the apply instead, a crash
// between the two would lose the basket for good.
func TestBasketLogFollowsTheApply(t *testing.T) {
	redistest.Require(t)
	px := newProxy(t)
	c := px.client()
	defer c.Close()
	prefix := redistest.Prefix(t)
	s := openStore(t, Config{Client: c, Prefix: prefix, OpTimeout: time.Second})
	direct := openStore(t, Config{Prefix: prefix})
	res := make([]windows.RemoteResult, 8)
	retry := func(b []windows.RemoteUpdate) {
		t.Helper()
		for attempt := 0; ; attempt++ {
			err := s.ApplyRemote(b, res)
			switch {
			case err == nil:
				return
			case attempt == 20:
				t.Fatalf("redis not back after %d attempts: %v", attempt, err)
			case !errors.Is(err, io.EOF) && !isNetErr(err):
				// a pooled connection may have died with the proxy: a fresh one follows
				t.Fatalf("retry: %v", err)
			}
		}
	}

	px.stop()
	if err := s.ApplyRemote(remoteBatch("t", 1, 2), res); err == nil {
		t.Fatal("apply succeeded with redis down")
	}
	if _, got := logged(t, direct, "t"); len(got) != 0 {
		t.Fatalf("a failed apply logged %q", got)
	}
	px.start()
	retry(remoteBatch("t", 1, 2))
	if _, got := logged(t, direct, "t"); !slices.Equal(got, []string{"basket-1", "basket-2"}) {
		t.Fatalf("after the retry: %q", got)
	}

	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	px.setMute(true)
	if err := s.ApplyRemote(remoteBatch("t", 3), res); err == nil {
		t.Fatal("apply succeeded without a reply")
	}
	px.stop()
	px.setMute(false)
	px.start()
	retry(remoteBatch("t", 3))
	if !res[0].Duplicate {
		t.Fatal("the redelivery after a lost reply is not a duplicate: the test proves nothing")
	}
	if _, got := logged(t, direct, "t"); !slices.Equal(got, []string{"basket-1", "basket-2", "basket-3"}) {
		t.Fatalf("after a lost reply and its redelivery: %q", got)
	}
}

// The engine attaches each valid event's payload (ApplyBatchAttached), and
// only the non-duplicates reach the log.
func TestEngineAttaches(t *testing.T) {
	s := openStore(t, Config{})
	cfg := distConfig()
	cfg.Distributed = &windows.Distributed{Remote: s, Leases: staticLeases{}, Shards: testShards}
	attach := func(b []*events.Order) [][]byte {
		var p [][]byte
		for _, o := range b {
			var x []byte
			if len(o.Items) > 0 {
				x = []byte(o.EventID)
			}
			p = append(p, x)
		}
		return p
	}
	e, err := windows.NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	mk := func(id string, items int) *events.Order {
		o := &events.Order{EventID: id, OrderID: id, TenantID: "acme", Type: events.OrderCompleted, Currency: "USD", OccurredAt: at}
		for range items {
			o.Items = append(o.Items, events.Item{SKU: "A", Quantity: 1})
		}
		return o
	}
	res := make([]windows.ApplyResult, 8)
	for _, b := range [][]*events.Order{{mk("e1", 1), mk("e2", 0), mk("e3", 2)}, {mk("e3", 2), mk("e4", 1)}} {
		if err := e.ApplyBatchAttached(b, attach(b), at, res); err != nil {
			t.Fatal(err)
		}
	}
	if _, got := logged(t, s, "acme"); !slices.Equal(got, []string{"e1", "e3", "e4"}) {
		t.Fatalf("log %q, want e1 e3 e4", got)
	}
}

// SaveModel is fenced by the lease, trims the log before the id it
// covers, and LoadModel returns it unless the caller has that version.
// ReadBaskets reads on after a cursor and reports a cursor whose entry is
// gone.
func TestSaveAndLoadModel(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, Config{})
	l, err := NewLeases(s, LeasesConfig{Shards: testShards, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	token, _ := l.Owned(1)
	if err := s.ApplyRemote(remoteBatch("t", 1, 2, 3, 4, 5), make([]windows.RemoteResult, 5)); err != nil {
		t.Fatal(err)
	}
	ids, _ := logged(t, s, "t")
	if len(ids) != 5 {
		t.Fatalf("%d entries", len(ids))
	}
	if id, _, m, err := s.LoadModel("t", "", 0); err != nil || id != "" || m != nil {
		t.Fatalf("nothing saved yet: %q %q %v", id, m, err)
	}
	if err := s.SaveModel("someone|1", 1, "t", ids[2], 100, []byte("model")); !errors.Is(err, windows.ErrFenced) {
		t.Fatalf("save with a stale token: %v", err)
	}
	if id, _, _, _ := s.LoadModel("t", "", 0); id != "" {
		t.Fatal("a fenced save stored its model")
	}
	if err := s.SaveModel(token, 1, "t", ids[2], 100, []byte("model\x00bytes")); err != nil {
		t.Fatal(err)
	}
	id, at, m, err := s.LoadModel("t", "", 0)
	if err != nil || id != ids[2] || at != 100 || string(m) != "model\x00bytes" {
		t.Fatalf("loaded %q %d %q %v", id, at, m, err)
	}
	if _, _, m, err := s.LoadModel("t", ids[2], 100); err != nil || m != nil {
		t.Fatalf("the same version again: %q %v, want no model", m, err)
	}
	if left, _ := logged(t, s, "t"); !slices.Equal(left, ids[2:]) {
		t.Fatalf("log after the save %q, want %q", left, ids[2:])
	}
	var read []string
	gaps := make([]bool, 2)
	err = s.ReadBaskets([]string{"t", "t"}, []string{ids[2], ids[0]}, 10, gaps, func(i int, id, _ string) {
		if i == 0 {
			read = append(read, id)
		}
	})
	if err != nil || !slices.Equal(read, ids[3:]) || gaps[0] || !gaps[1] {
		t.Fatalf("read after the model: %q, gaps %v, %v; want %q and a gap for the trimmed cursor", read, gaps, err, ids[3:])
	}
	for _, k := range []string{s.modelKey("t"), s.basketKey("t")} {
		if ttl, err := s.Client().PTTL(ctx, k).Result(); err != nil || ttl < DefaultModelTTL-time.Minute {
			t.Fatalf("%s ttl %s, %v", k, ttl, err)
		}
	}
	if err := s.SaveModel(token, 1, "t", "", 100, nil); err == nil {
		t.Fatal("saved a model that covers no stream id")
	}
}
