package main

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

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

	gen, err := eventgen.New(eventgen.Config{Seed: 11, Tenants: 8, Now: time.Now().Add(-2 * time.Hour), Duration: 10 * time.Hour,
		MaxEvents: 3000, LateShare: -1})
	if err != nil {
		t.Fatal(err)
	}
	truth := eventgen.NewTruth(time.Hour)
	published := publishGenerated(t, ctx, p.conn.Client, cfg.OrdersTopic, gen, truth.Add)
	waitFor(t, 90*time.Second, "every message acked", func() bool { return p.stats.Acked.Load() >= published })
	want := truth.Windows()

	got := waitForTruth(t, metrics, want, 60*time.Second)
	for k := range got.latest {
		if _, ok := want[k]; !ok {
			t.Errorf("window %v published but has no events", k)
		}
	}
	if err := p.shutdown(); err != nil {
		t.Fatal(err)
	}
}
