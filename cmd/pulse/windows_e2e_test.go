package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
)

// TestClosedWindowsMatchTruth runs generated traffic (duplicates,
// out-of-order deliveries, malformed events) through the live pipeline and
// checks that the last revision of every hourly window published on the
// tenant-metrics topic equals the brute-force figures of the events, to the
// minor unit.
func TestClosedWindowsMatchTruth(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testRunConfig(t)
	cfg.Streams = 16
	cfg.IdleTimeout = time.Second // the last windows close on idleness
	p, err := startPipeline(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatal(err)
	}
	metrics := subscribeAll(t, ctx, p, cfg.MetricsTopic, "test-metrics")

	gen, err := eventgen.New(eventgen.Config{Seed: 11, Tenants: 8, Now: time.Now(), Duration: 10 * time.Hour,
		MaxEvents: 3000, LateShare: -1})
	if err != nil {
		t.Fatal(err)
	}
	truth := eventgen.NewTruth(time.Hour)
	published := publishGenerated(t, ctx, p.conn.Client, cfg.OrdersTopic, gen, truth.Add)
	waitFor(t, 90*time.Second, "every message acked", func() bool { return p.stats.Acked.Load() >= published })
	want := truth.Windows()

	// latest revision per hourly window, from the topic
	latest := func() map[eventgen.TruthKey]events.Insight {
		metrics.mu.Lock()
		defer metrics.mu.Unlock()
		out := map[eventgen.TruthKey]events.Insight{}
		for _, m := range metrics.msgs {
			var in events.Insight
			if err := json.Unmarshal(m.Data, &in); err != nil {
				t.Fatalf("undecodable insight %s: %v", m.Data, err)
			}
			if in.Window.Size != "1h" {
				continue
			}
			k := eventgen.TruthKey{Tenant: in.TenantID, Start: in.Window.Start.UTC(), Currency: in.Currency}
			if cur, ok := out[k]; !ok || in.Revision > cur.Revision {
				out[k] = in
			}
		}
		return out
	}
	match := func(got events.WindowMetrics, want events.WindowMetrics) bool {
		got.LateEvents = 0
		return got == want
	}
	mismatches := func() (n int, example string) {
		got := latest()
		for k, w := range want {
			in, ok := got[k]
			if !ok || in.Metrics == nil || !match(*in.Metrics, w) {
				n++
				example = fmt.Sprintf("%v: got %+v (found %v), want %+v", k, in.Metrics, ok, w)
			}
		}
		return n, example
	}
	deadline := time.Now().Add(60 * time.Second)
	for n, ex := mismatches(); n > 0; n, ex = mismatches() {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d hourly windows never reached their true figures, e.g. %s", n, len(want), ex)
		}
		time.Sleep(50 * time.Millisecond)
	}
	got := latest()
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("window %v published but has no events", k)
		}
	}
	if err := p.shutdown(); err != nil {
		t.Fatal(err)
	}
}
