package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
	"github.com/olympus-cloud/pulse/processors/recommend"
	"github.com/olympus-cloud/pulse/sinks/pubsub"
)

// requireRedis returns a fresh key prefix on the local Redis, deleting its
// keys at cleanup; it skips without Redis unless PULSE_REQUIRE_SERVICES=1.
func requireRedis(t *testing.T) (url, prefix string) {
	t.Helper()
	url = "redis://127.0.0.1:6379/0"
	opt, _ := redis.ParseURL(url)
	c := redis.NewClient(opt)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		if os.Getenv("PULSE_REQUIRE_SERVICES") == "1" {
			t.Fatalf("redis unreachable and PULSE_REQUIRE_SERVICES=1: %v", err)
		}
		t.Skipf("redis unreachable (PULSE_REQUIRE_SERVICES=1 fails instead): %v", err)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	prefix = "pulse-test-" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		defer c.Close()
		ctx := context.Background()
		iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			c.Del(ctx, iter.Val())
		}
	})
	return url, prefix
}

// TestThreeReplicasGiveTheResultsOfOne runs three pulse run replicas on one
// Pub/Sub subscription with their window state in Redis. Generated traffic
// (duplicates, out-of-order deliveries) is split between them by Pub/Sub;
// the last revision of every hourly window on the tenant-metrics topic
// equals the brute-force truth, no window's first result is emitted by
// two replicas, and every replica answers /recommendations for every
// tenant from one model that learned all the tenant's orders.
func TestThreeReplicasGiveTheResultsOfOne(t *testing.T) {
	redisURL, prefix := requireRedis(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := pstest.NewServer()
	defer srv.Close()

	var replicas []*pipeline
	for i := range 3 {
		cfg := testRunConfig(t)
		cfg.EmulatorHost = srv.Addr
		cfg.Streams = 8
		cfg.IdleTimeout = time.Second
		cfg.State, cfg.RedisURL, cfg.RedisPrefix, cfg.LeaseShards, cfg.LeaseTTL = "redis", redisURL, prefix, 16, 3*time.Second
		p, err := startPipeline(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel).With().Int("replica", i).Logger())
		if err != nil {
			t.Fatal(err)
		}
		replicas = append(replicas, p)
	}
	defer func() {
		for _, p := range replicas {
			if err := p.shutdown(); err != nil {
				t.Error(err)
			}
		}
	}()
	metrics := subscribeAll(t, ctx, replicas[0], "tenant-metrics", "test-metrics")

	gen, err := eventgen.New(eventgen.Config{Seed: 21, Tenants: 6, Now: time.Now().Add(-2 * time.Hour), Duration: 6 * time.Hour,
		MaxEvents: 3000, LateShare: -1, MalformedShare: -1})
	if err != nil {
		t.Fatal(err)
	}
	truth := eventgen.NewTruth(time.Hour)
	pub, err := pubsub.Connect(ctx, pubsub.Config{ProjectID: "pulse-test", EmulatorHost: srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	customers := customerTruth{}
	baskets, err := recommend.New(recommend.Config{})
	if err != nil {
		t.Fatal(err)
	}
	published := publishGenerated(t, ctx, pub.Client, "orders", gen, func(m *eventgen.Message) {
		truth.Add(m)
		customers.add(m)
		if m.Order != nil && !m.Duplicate && m.Expect == "" {
			baskets.Observe(m.Order)
		}
	})
	acked := func() (n int64) {
		for _, p := range replicas {
			n += p.stats.Acked.Load()
		}
		return n
	}
	waitFor(t, 120*time.Second, "every message acked by some replica", func() bool { return acked() >= published })
	for i, p := range replicas {
		if p.stats.Acked.Load() == 0 {
			t.Logf("replica %d received nothing (Pub/Sub's choice)", i)
		}
	}

	customers.check(t, redisURL, prefix)
	checkSharedRecommendations(t, replicas, baskets)

	want := truth.Windows()
	waitForTruth(t, metrics, want, 60*time.Second)
	// Exactly-once closing: the replicas together published as many first
	// results as there are distinct ones (a second closer would publish the
	// same id again).
	// The subscriber may lag the publishers, so wait for it to catch up.
	publishedFirsts := func() (n int64) {
		for _, p := range replicas {
			n += p.outputs.PublishedBy()[events.KindWindowMetrics][events.SeverityInfo]
		}
		return n
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		firsts := viewOf(t, metrics).firsts
		n := publishedFirsts()
		if n == int64(len(firsts)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replicas published %d first results for %d distinct windows", n, len(firsts))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// customerTruth is each customer's completed orders and latest completed
// order time, from the generated stream (first deliveries of valid events).
type customerTruth map[string]*struct {
	orders int64
	last   time.Time
}

func (c customerTruth) add(m *eventgen.Message) {
	o := m.Order
	if o == nil || m.Duplicate || m.Expect != "" || o.CustomerID == "" || o.Type != events.OrderCompleted {
		return
	}
	k := o.TenantID + "/" + o.Currency + "|" + o.CustomerID
	if c[k] == nil {
		c[k] = &struct {
			orders int64
			last   time.Time
		}{}
	}
	c[k].orders++
	if o.OccurredAt.After(c[k].last) {
		c[k].last = o.OccurredAt
	}
}

// check compares the customer state the replicas built together in Redis
// (P cu:{tenant}: "orders|spent|last|seg|...") with the truth: every
// completed order counted once, whichever replica took it.
func (c customerTruth) check(t *testing.T, redisURL, prefix string) {
	t.Helper()
	opt, _ := redis.ParseURL(redisURL)
	rc := redis.NewClient(opt)
	defer rc.Close()
	ctx := context.Background()
	tenants := map[string]bool{}
	for k := range c {
		tenants[strings.SplitN(k, "/", 2)[0]] = true
	}
	got := 0
	for tenant := range tenants {
		vals, err := rc.HGetAll(ctx, prefix+"cu:"+tenant).Result()
		if err != nil {
			t.Fatal(err)
		}
		for f, v := range vals {
			got++
			want := c[tenant+"/"+f]
			parts := strings.SplitN(v, "|", 5)
			n, _ := strconv.ParseInt(parts[0], 10, 64)
			u, _ := strconv.ParseUint(parts[2], 10, 64)
			last := time.Unix(0, int64(u^1<<63))
			if want == nil || n != want.orders || !last.Equal(want.last) {
				t.Errorf("customer %s/%s: %d orders, last %s; want %+v", tenant, f, n, last, want)
			}
		}
	}
	if got != len(c) || got == 0 {
		t.Errorf("%d customers in redis, %d in the stream", got, len(c))
	}
}

// checkSharedRecommendations waits until every replica answers
// /recommendations for every tenant from a saved model that learned all
// the tenant's completions and refunds, whichever replica Pub/Sub gave
// them to: the same baskets and partners as truth, a model fed every
// order once. The figures are compared at one later instant with a
// relative tolerance of 1e-9: Pub/Sub's interleaving puts the orders in
// the basket log in another order than truth's, and the same weights
// summed in another order may differ in their last bits (no summary
// fills and no refund meets its order out of turn in this traffic, so
// nothing else depends on the order).
func checkSharedRecommendations(t *testing.T, replicas []*pipeline, truth *recommend.Model) {
	t.Helper()
	at := time.Now().Add(time.Hour)
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
	tenants := truth.Tenants()
	if len(tenants) < 3 {
		t.Fatalf("%d tenants with baskets: too few to check", len(tenants))
	}
	var last string
	compared := 0
	same := func() bool {
		compared = 0
		for _, tn := range tenants {
			var skus []string
			for _, p := range truth.Pairs(tn, at) {
				skus = append(skus, p.SKUA, p.SKUB)
			}
			skus = append(skus, "no-such-sku")
			for i, p := range replicas {
				snap, err := p.sharedRecs.Lookup(tn)
				if err != nil || snap == nil {
					last = fmt.Sprintf("replica %d, tenant %s: %v %v", i, tn, snap, err)
					return false
				}
				for _, sku := range skus {
					want, err1 := truth.Recommend(tn, sku, 5, at)
					got, err2 := snap.RecommendAt(sku, 5, at)
					ok := err1 == nil && err2 == nil && near(got.Baskets, want.Baskets) && near(got.SKUCount, want.SKUCount) &&
						got.ColdStart == want.ColdStart && len(got.Items) == len(want.Items)
					for j := 0; ok && j < len(got.Items); j++ {
						g, w := got.Items[j], want.Items[j]
						ok = g.SKU == w.SKU && near(g.Lift, w.Lift) && near(g.Confidence, w.Confidence) && near(g.Count, w.Count)
					}
					compared++
					if !ok {
						last = fmt.Sprintf("replica %d, tenant %s, %s:\nreplica %+v\ntruth   %+v", i, tn, sku, got, want)
						return false
					}
				}
			}
		}
		return true
	}
	deadline := time.Now().Add(60 * time.Second)
	for !same() {
		if time.Now().After(deadline) {
			t.Fatalf("replicas do not answer from the whole model: %s", last)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("%d tenants: %d answers of every replica equal the whole stream's", len(tenants), compared)
}
