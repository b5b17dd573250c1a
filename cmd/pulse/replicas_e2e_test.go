package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
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
// equals the brute-force truth, and no window's first result is emitted by
// two replicas.
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

	gen, err := eventgen.New(eventgen.Config{Seed: 21, Tenants: 6, Now: time.Now(), Duration: 6 * time.Hour,
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
	published := publishGenerated(t, ctx, pub.Client, "orders", gen, truth.Add)
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

	want := truth.Windows()
	latest := func() (map[eventgen.TruthKey]events.Insight, map[string]int) {
		metrics.mu.Lock()
		defer metrics.mu.Unlock()
		out := map[eventgen.TruthKey]events.Insight{}
		firsts := map[string]int{}
		for _, m := range metrics.msgs {
			var in events.Insight
			if err := json.Unmarshal(m.Data, &in); err != nil {
				t.Fatalf("bad insight %s: %v", m.Data, err)
			}
			if in.Revision == 1 {
				firsts[in.InsightID]++
			}
			if in.Window.Size != "1h" {
				continue
			}
			k := eventgen.TruthKey{Tenant: in.TenantID, Start: in.Window.Start.UTC(), Currency: in.Currency}
			if cur, ok := out[k]; !ok || in.Revision > cur.Revision {
				out[k] = in
			}
		}
		return out, firsts
	}
	mismatch := func() (int, string) {
		got, _ := latest()
		n, ex := 0, ""
		for k, w := range want {
			in, ok := got[k]
			if !ok || in.Metrics == nil {
				n, ex = n+1, fmt.Sprintf("%v missing", k)
				continue
			}
			m := *in.Metrics
			m.LateEvents = 0
			if m != w {
				n, ex = n+1, fmt.Sprintf("%v: got %+v, want %+v", k, m, w)
			}
		}
		return n, ex
	}
	deadline := time.Now().Add(60 * time.Second)
	for n, ex := mismatch(); n > 0; n, ex = mismatch() {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d hourly windows never reached their true figures across the replicas, e.g. %s", n, len(want), ex)
		}
		time.Sleep(100 * time.Millisecond)
	}
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
	deadline = time.Now().Add(20 * time.Second)
	for {
		_, firsts := latest()
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
