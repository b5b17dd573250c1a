package postgres

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/olympus-cloud/pulse/events"
)

// flaky fails its first fails calls, then records; block, when set, holds
// every call until closed.
type flaky struct {
	mu    sync.Mutex
	fails int
	calls int
	got   []string
	block chan struct{}
}

func (f *flaky) RecordInsight(ctx context.Context, in events.Insight) error {
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.fails {
		return errors.New("connection refused")
	}
	f.got = append(f.got, in.InsightID)
	return nil
}

func (f *flaky) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.got...)
}

func TestHistoryWriterRetriesInOrder(t *testing.T) {
	f := &flaky{fails: 3}
	w := newHistoryWriter(HistoryWriterConfig{MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}, f, testLogger(t))
	ins := lifecycle("shop-a", "inc-1")
	for _, in := range ins {
		w.Observe(in)
	}
	w.Observe(events.Insight{Kind: events.KindWindowMetrics, InsightID: "metrics"}) // not an incident
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := f.recorded()
	if len(got) != len(ins) {
		t.Fatalf("recorded %v, want the %d anomaly insights", got, len(ins))
	}
	for i, in := range ins {
		if got[i] != in.InsightID {
			t.Errorf("write %d is %s, want %s (in order)", i, got[i], in.InsightID)
		}
	}
	if w.Retries.Load() != int64(f.fails) || w.Written.Load() != int64(len(ins)) {
		t.Errorf("retries %d written %d, want %d and %d", w.Retries.Load(), w.Written.Load(), f.fails, len(ins))
	}
	if !w.Healthy() {
		t.Error("unhealthy after writes recovered")
	}
}

// A stuck Postgres never blocks Observe: the queue fills, the rest is
// dropped and counted, and Close gives up at its deadline.
func TestHistoryWriterNeverBlocks(t *testing.T) {
	f := &flaky{block: make(chan struct{})}
	const queue = 4
	w := newHistoryWriter(HistoryWriterConfig{QueueSize: queue}, f, testLogger(t))
	const n = 50
	for i := range n {
		in := lifecycle("shop-a", "inc")[0]
		in.InsightID = string(rune('a' + i))
		w.Observe(in) // returns at once, or the test hangs here
	}
	// One insight is in the writer's hands, queue more wait.
	if d := w.Dropped.Load(); d < n-queue-1 {
		t.Fatalf("dropped %d of %d with a queue of %d", d, n, queue)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close past its deadline: %v", err)
	}
	if w.Abandon.Load() == 0 {
		t.Error("nothing counted as abandoned")
	}
	w.Observe(lifecycle("shop-a", "late")[0]) // after Close: dropped, no panic
}

// Against a real pool pointed at nothing: the write fails with a
// connection error, Observe still returns at once, and the writer reports
// itself unhealthy.
func TestHistoryWriterPostgresDown(t *testing.T) {
	cfg, err := pgxpool.ParseConfig("postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &Store{pool: pool, log: testLogger(t)}
	defer s.Close()
	w := NewHistoryWriter(HistoryWriterConfig{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}, s, testLogger(t))
	for _, in := range lifecycle("shop-a", "inc-1") {
		w.Observe(in)
	}
	waitFor(t, "a failed write", func() bool { return w.Retries.Load() > 0 })
	if w.Healthy() {
		t.Error("healthy while Postgres is unreachable")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := w.Close(ctx); err == nil {
		t.Error("Close reported success with nothing written")
	}
	if w.Written.Load() != 0 {
		t.Errorf("written %d with Postgres down", w.Written.Load())
	}
}

func TestHistoryWriterWritesToPostgres(t *testing.T) {
	s, _ := openTest(t)
	w := NewHistoryWriter(HistoryWriterConfig{}, s, testLogger(t))
	ins := lifecycle("shop-a", "inc-1")
	for _, in := range append(ins, ins...) { // a redelivery too
		w.Observe(in)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := mustIncident(t, s, "shop-a", "inc-1"); got.State != StateResolved || got.Updates != len(ins) {
		t.Fatalf("incident %+v after the writer drained", got)
	}
}
