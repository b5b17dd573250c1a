package processors

import (
	"context"
	"strconv"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
	pulsepubsub "github.com/olympus-cloud/pulse/sinks/pubsub"
)

type nopDead struct{}

func (nopDead) PublishDeadLetter(context.Context, events.DeadLetter) error { return nil }

type nopInsights struct{}

func (nopInsights) Publish(context.Context, events.Insight) error { return nil }

// ingestPipeline is the processing side of `pulse run` without its sinks:
// ingest handler, 8 shards of WindowState, outputs to a publisher that
// does nothing.
type ingestPipeline struct {
	stats  *Stats
	ingest *Ingest
	shards *Shards
	out    *Outputs
}

func newIngestPipeline(b *testing.B) *ingestPipeline {
	b.Helper()
	p := &ingestPipeline{stats: NewStats()}
	p.out = NewOutputs(OutputsConfig{}, nopInsights{}, nil, zerolog.Nop())
	p.shards = NewShards(ShardsConfig{}, func(int) ShardState {
		ws, err := NewWindowState(WindowStateConfig{}, p.out.Emit, p.stats, zerolog.Nop())
		if err != nil {
			b.Fatal(err)
		}
		return ws
	}, p.stats)
	// The generator's clock: its payloads are dated in 2026-01.
	var clock time.Time
	p.ingest = NewIngest(IngestConfig{Now: func() time.Time { return clock }}, nopDead{}, nil, p.shards, p.stats, zerolog.Nop())
	clock = eventgen.DefaultStart.Add(365 * 24 * time.Hour) // far enough that no event is in the future
	p.ingest.cfg.Limits.MaxAge = -1
	p.ingest.decoders.New = func() any { return events.NewDecoder(events.Limits{MaxAge: -1}) }
	return p
}

func (p *ingestPipeline) close(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.shards.Close(ctx); err != nil {
		b.Error(err)
	}
	if err := p.out.Close(ctx); err != nil {
		b.Error(err)
	}
}

// waitDone waits until n messages were acked or nacked.
func (p *ingestPipeline) waitDone(b *testing.B, n int64, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for p.stats.Acked.Load()+p.stats.Nacked.Load() < n {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d messages handled in %s", p.stats.Acked.Load()+p.stats.Nacked.Load(), n, timeout)
		}
		time.Sleep(time.Millisecond)
	}
}

func ingestTraffic(b *testing.B, n int) []eventgen.Message {
	tr := newBenchTraffic(b, benchProfiles[0])
	return append([]eventgen.Message(nil), tr.fill(b, n)...)
}

func reportPerCore(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "events/s/core")
}

// BenchmarkIngestGoChannel is the ingest path through the Watermill router
// and handler on an in-memory Pub/Sub (gochannel): publish, deliver,
// decode, shard hand-off, windows + detectors, ack. CPU per event counts
// every goroutine (publisher and router included).
func BenchmarkIngestGoChannel(b *testing.B) {
	msgs := ingestTraffic(b, b.N)
	wm := make([]*message.Message, len(msgs))
	for i := range msgs {
		m := message.NewMessage(strconv.Itoa(i), msgs[i].Payload)
		for k, v := range msgs[i].Attributes {
			m.Metadata.Set(k, v)
		}
		wm[i] = m
	}
	p := newIngestPipeline(b)
	defer p.close(b)
	logger := watermill.NopLogger{}
	ch := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 1024}, logger)
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: time.Minute}, logger)
	if err != nil {
		b.Fatal(err)
	}
	r.AddConsumerHandler("ingest", "orders", ch, p.ingest.Handle)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		if err := r.Run(ctx); err != nil {
			b.Error(err)
		}
	}()
	<-r.Running()
	b.ReportAllocs()
	b.ResetTimer()
	var cpu cpuClock
	cpu.start()
	for i := 0; i < len(wm); i += 256 {
		if err := ch.Publish("orders", wm[i:min(i+256, len(wm))]...); err != nil {
			b.Fatal(err)
		}
	}
	p.waitDone(b, int64(b.N), 5*time.Minute)
	cpu.stop()
	b.StopTimer()
	reportPerCore(b, cpu.total)
	if err := r.Close(); err != nil {
		b.Error(err)
	}
}

// BenchmarkIngestPstest is the ingest path through the real Pub/Sub client
// and the Watermill googlecloud adapter against pstest (in process, so its
// CPU is counted too). The messages are published before the subscriber
// starts (pstest delivers a waiting backlog at once; while publishing it
// trickles one message per 10 ms per stream), so this is the drain rate of
// a backlog: the client's and adapter's cost per message. Sub-benchmarks
// vary the streams (NumGoroutines) and MaxOutstandingMessages.
func BenchmarkIngestPstest(b *testing.B) {
	for _, streams := range []int{1, 4, 16, 64} {
		for _, outstanding := range []int{100, 1000} {
			name := "streams=" + strconv.Itoa(streams) + "/outstanding=" + strconv.Itoa(outstanding)
			b.Run(name, func(b *testing.B) { benchIngestPstest(b, streams, outstanding) })
		}
	}
}

func benchIngestPstest(b *testing.B, streams, outstanding int) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	conn, err := pulsepubsub.Connect(ctx, pulsepubsub.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	if err := conn.EnsureTopic(ctx, "orders"); err != nil {
		b.Fatal(err)
	}
	if err := conn.EnsureSubscription(ctx, "orders", "pulse-orders", 60); err != nil {
		b.Fatal(err)
	}
	msgs := ingestTraffic(b, b.N)
	pub := conn.Client.Publisher("orders")
	results := make([]*pubsub.PublishResult, len(msgs))
	for i := range msgs {
		results[i] = pub.Publish(ctx, &pubsub.Message{Data: msgs[i].Payload, Attributes: msgs[i].Attributes})
	}
	for _, r := range results {
		if _, err := r.Get(ctx); err != nil {
			b.Fatal(err)
		}
	}
	pub.Stop()

	p := newIngestPipeline(b)
	defer p.close(b)
	r, err := NewRouter(SubscriberConfig{
		ProjectID: conn.Project, ClientOptions: pulsepubsub.EmulatorOptions(conn.Endpoint),
		Streams: streams, MaxOutstanding: outstanding,
	}, p.ingest, time.Minute, watermill.NopLogger{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var cpu cpuClock
	cpu.start()
	go func() {
		if err := r.Run(ctx); err != nil {
			b.Error(err)
		}
	}()
	// About 11 s for 1,000 messages on one stream: a stall, not a slow
	// drain, if this runs out.
	p.waitDone(b, int64(b.N), 3*time.Minute)
	cpu.stop()
	b.StopTimer()
	reportPerCore(b, cpu.total)
	if err := r.Close(); err != nil {
		b.Error(err)
	}
}
