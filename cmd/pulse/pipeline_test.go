package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
)

// testRunConfig is `pulse run` with its defaults, embedded Pub/Sub, no
// generator.
func testRunConfig(t *testing.T) *RunCmd {
	t.Helper()
	c := &RunCmd{
		Project: "pulse-test", OrdersTopic: "orders", Subscription: "pulse-orders",
		DeadLetterTopic: "orders-deadletter", InsightsTopic: "insights", MetricsTopic: "tenant-metrics",
		Streams: 8, MaxOutstanding: 1000, Shards: 4, MaxBatch: 256, ShutdownTimeout: 20 * time.Second,
		MaxClockSkew: 5 * time.Minute, MaxAge: 90 * 24 * time.Hour, MaxAmount: 10_000_000, MaxItems: 1000,
		GenTenants: 20, GenSpeed: 3600, Generate: false, EmulatorHost: "", HTTPAddr: "127.0.0.1:0",
		BigQueryFlags: BigQueryFlags{Dataset: "pulse", DataDir: t.TempDir(), MaxRows: 500, MaxAge: 200 * time.Millisecond},
		APIRate:       10, APIBurst: 40,
		SharedRecommendations: true, RecommendSaveEvery: 10 * time.Second, RecommendLogMax: 100_000,
	}
	t.Setenv("PUBSUB_EMULATOR_HOST", "")
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

// startTestPipeline starts `pulse run` logging to the test at level; stop
// shuts it down gracefully (defer it, so it runs before the Pub/Sub server
// the test started closes).
func startTestPipeline(t *testing.T, ctx context.Context, cfg *RunCmd, level zerolog.Level) (p *pipeline, stop func()) {
	t.Helper()
	p, err := startPipeline(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(level))
	if err != nil {
		t.Fatal(err)
	}
	return p, func() {
		if err := p.shutdown(); err != nil {
			t.Error(err)
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// collect receives everything on a subscription into a slice.
type collected struct {
	mu   sync.Mutex
	msgs []*pubsub.Message
}

func (c *collected) len() int { c.mu.Lock(); defer c.mu.Unlock(); return len(c.msgs) }

func subscribeAll(t *testing.T, ctx context.Context, p *pipeline, topic, sub string) *collected {
	t.Helper()
	if err := p.conn.EnsureSubscription(ctx, topic, sub, 10); err != nil {
		t.Fatal(err)
	}
	c := &collected{}
	s := p.conn.Client.Subscriber(sub)
	s.ReceiveSettings.NumGoroutines = 4
	go func() {
		_ = s.Receive(ctx, func(_ context.Context, m *pubsub.Message) { // ends with ctx
			c.mu.Lock()
			c.msgs = append(c.msgs, m)
			c.mu.Unlock()
			m.Ack()
		})
	}()
	return c
}

func TestPipelineAcksValidAndDeadLettersInvalid(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testRunConfig(t)
	p, err := startPipeline(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatal(err)
	}
	dead := subscribeAll(t, ctx, p, cfg.DeadLetterTopic, "test-deadletter")

	now := time.Now().UTC()
	pub := p.conn.Client.Publisher(cfg.OrdersTopic)
	var results []*pubsub.PublishResult
	valid := 0
	wantReasons := map[events.Reason]int{}
	for i := range 300 {
		o := events.Order{EventID: "evt_" + itoa(i), Type: events.OrderCreated, TenantID: []string{"acme", "globex", "initech"}[i%3],
			OrderID: "ord_" + itoa(i), CustomerID: "cus_" + itoa(i%17), Status: "pending", Amount: int64(100 + i),
			Currency: "USD", OccurredAt: now.Add(-time.Duration(i) * time.Second)}
		payload, _ := o.MarshalJSON()
		attrs := o.Attributes()
		switch i % 10 {
		case 3:
			payload = payload[:len(payload)/2]
			wantReasons[events.ReasonMalformedJSON]++
		case 7:
			attrs["tenant_id"] = "intruder"
			wantReasons[events.ReasonAttributeMismatch]++
		case 9:
			payload = []byte(strings.Replace(string(payload), `"USD"`, `"ZZZ"`, 1))
			wantReasons[events.ReasonUnknownCurrency]++
		default:
			valid++
		}
		results = append(results, pub.Publish(ctx, &pubsub.Message{Data: payload, Attributes: attrs}))
	}
	for _, r := range results {
		if _, err := r.Get(ctx); err != nil {
			t.Fatal(err)
		}
	}
	pub.Stop()
	total := int64(len(results))
	waitFor(t, 60*time.Second, "every message acked", func() bool { return p.stats.Acked.Load() == total })
	invalid := int(total) - valid
	waitFor(t, 30*time.Second, "dead letters delivered", func() bool { return dead.len() >= invalid })

	if got := p.stats.Valid.Load(); got != int64(valid) {
		t.Errorf("valid = %d, want %d", got, valid)
	}
	got := p.stats.DeadLetteredByReason()
	for r, n := range wantReasons {
		if got[r] != int64(n) {
			t.Errorf("dead-lettered %s = %d, want %d", r, got[r], n)
		}
	}
	dead.mu.Lock()
	seen := map[events.Reason]int{}
	for _, m := range dead.msgs {
		r := events.Reason(m.Attributes["reason"])
		seen[r]++
		if m.Attributes["error"] == "" || m.Attributes["original_event_type"] != "order.created" {
			t.Errorf("dead letter lacks error text or original attributes: %v", m.Attributes)
		}
	}
	dead.mu.Unlock()
	for r, n := range wantReasons {
		if seen[r] != n {
			t.Errorf("dead-letter topic has %d %s, want %d", seen[r], r, n)
		}
	}
	var tenantSum int64
	for _, tc := range p.stats.Tenants() {
		tenantSum += tc.Events
	}
	if tenantSum != int64(valid) {
		t.Errorf("per-tenant counts add to %d, want %d", tenantSum, valid)
	}
	metrics := scrape(t, "http://"+p.ops.Addr()+"/metrics")
	for name, want := range map[string]float64{
		"pulse_messages_received_total":                                   float64(total),
		"pulse_messages_acked_total":                                      float64(total),
		"pulse_events_valid_total":                                        float64(valid),
		`pulse_messages_dead_lettered_total{reason="malformed_json"}`:     float64(wantReasons[events.ReasonMalformedJSON]),
		`pulse_messages_dead_lettered_total{reason="attribute_mismatch"}`: float64(wantReasons[events.ReasonAttributeMismatch]),
		`pulse_messages_dead_lettered_total{reason="unknown_currency"}`:   float64(wantReasons[events.ReasonUnknownCurrency]),
		`pulse_messages_dead_lettered_total{reason="negative_amount"}`:    0,
	} {
		if got, ok := metrics[name]; !ok || got != want {
			t.Errorf("/metrics %s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	if code := httpStatus(t, "http://"+p.ops.Addr()+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d while running", code)
	}
	if err := p.shutdown(); err != nil {
		t.Fatal(err)
	}
	if p.stats.Nacked.Load() != 0 {
		t.Errorf("%d messages nacked", p.stats.Nacked.Load())
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// scrape reads a Prometheus text exposition into name{labels} -> value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad metrics line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func httpStatus(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// publishGenerated publishes everything gen makes to topic in bulk, calling
// each (when set) per message, and returns how many were published.
func publishGenerated(t *testing.T, ctx context.Context, client *pubsub.Client, topic string, gen *eventgen.Generator, each func(*eventgen.Message)) int64 {
	t.Helper()
	bp := newBulkPublisher(client, topic, bulkOptions{})
	var n int64
	for {
		m, ok := gen.Next()
		if !ok {
			break
		}
		if each != nil {
			each(&m)
		}
		if err := bp.Publish(ctx, m.Payload, m.Attributes); err != nil {
			t.Fatal(err)
		}
		n++
	}
	if st, err := bp.Close(ctx); err != nil || st.Published != n {
		t.Fatalf("published %d of %d: %v", st.Published, n, err)
	}
	return n
}
