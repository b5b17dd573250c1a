package main

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
)

// TestGeneratedTrafficEndToEnd drives the generator through the real Pub/Sub
// client into pstest and through the Watermill router: every valid message
// is acked and counted for its tenant, every malformed one reaches the
// dead-letter topic with the reason the generator planted, and the totals
// add up to what was published.
func TestGeneratedTrafficEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testRunConfig(t)
	cfg.Streams = 16
	p, err := startPipeline(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatal(err)
	}
	dead := subscribeAll(t, ctx, p, cfg.DeadLetterTopic, "test-deadletter")

	gen, err := eventgen.New(eventgen.Config{Seed: 7, Tenants: 12, Now: time.Now(), Duration: 12 * time.Hour,
		MaxEvents: 4000, MalformedShare: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	wantReason := map[events.Reason]int64{}
	wantTenant := map[string]int64{}
	var valid int64
	published := publishGenerated(t, ctx, p.conn.Client, cfg.OrdersTopic, gen, func(m *eventgen.Message) {
		if m.Expect != "" {
			wantReason[m.Expect]++
		} else {
			valid++
			wantTenant[m.Order.TenantID]++
		}
	})
	if len(wantReason) < 8 {
		t.Fatalf("generator planted only %d reason codes", len(wantReason))
	}
	waitFor(t, 90*time.Second, "every message acked", func() bool { return p.stats.Acked.Load() >= published })
	invalid := published - valid
	waitFor(t, 30*time.Second, "every dead letter delivered", func() bool { return int64(dead.len()) >= invalid })
	if err := p.shutdown(); err != nil {
		t.Fatal(err)
	}

	if got := p.stats.Received.Load(); got < published {
		t.Errorf("received %d < published %d", got, published)
	}
	if got := p.stats.Valid.Load() + p.stats.DeadLettered.Load(); got != p.stats.Acked.Load() {
		t.Errorf("valid + dead-lettered = %d, acked = %d", got, p.stats.Acked.Load())
	}
	if p.stats.Valid.Load() != valid {
		t.Errorf("valid %d, published valid %d", p.stats.Valid.Load(), valid)
	}
	gotReason := p.stats.DeadLetteredByReason()
	for r, n := range wantReason {
		if gotReason[r] != n {
			t.Errorf("dead-lettered %s: %d, want %d", r, gotReason[r], n)
		}
	}
	for r, n := range gotReason {
		if wantReason[r] != n {
			t.Errorf("unexpected dead letters %s: %d", r, n)
		}
	}
	onTopic := map[events.Reason]int64{}
	dead.mu.Lock()
	for _, m := range dead.msgs {
		onTopic[events.Reason(m.Attributes["reason"])]++
	}
	dead.mu.Unlock()
	for r, n := range wantReason {
		if onTopic[r] != n {
			t.Errorf("dead-letter topic holds %d %s, want %d", onTopic[r], r, n)
		}
	}
	for _, tc := range p.stats.Tenants() {
		if wantTenant[tc.Tenant] != tc.Events {
			t.Errorf("tenant %s counted %d, published %d valid", tc.Tenant, tc.Events, wantTenant[tc.Tenant])
		}
		delete(wantTenant, tc.Tenant)
	}
	if len(wantTenant) != 0 {
		t.Errorf("tenants never counted: %v", wantTenant)
	}
}
