package processors

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
)

// gatedBatchState records the batches it is given; its first call blocks
// until released, so the orders sent meanwhile queue up behind it.
type gatedBatchState struct {
	gate    chan struct{}
	entered chan struct{}
	mu      sync.Mutex
	calls   [][]string // event ids per call; "fn" marks a Do
	fail    string     // event id answered with an error
}

func (g *gatedBatchState) ApplyBatch(orders []*events.Order, _ time.Time, errs []error) {
	g.mu.Lock()
	first := len(g.calls) == 0
	var ids []string
	for i, o := range orders {
		ids = append(ids, o.EventID)
		if o.EventID == g.fail {
			errs[i] = errors.New("refused")
		}
	}
	g.calls = append(g.calls, ids)
	g.mu.Unlock()
	if first {
		close(g.entered)
		<-g.gate
	}
}
func (g *gatedBatchState) Apply(o *events.Order, now time.Time) error {
	var errs [1]error
	g.ApplyBatch([]*events.Order{o}, now, errs[:])
	return errs[0]
}
func (g *gatedBatchState) Advance(time.Time) error { return nil }
func (g *gatedBatchState) Flush(time.Time) error   { return nil }

func TestShardsApplyQueuedOrdersAsOneBatchInQueueOrder(t *testing.T) {
	st := &gatedBatchState{gate: make(chan struct{}), entered: make(chan struct{}), fail: "e3"}
	s := NewShards(ShardsConfig{Shards: 1, MaxBatch: 4, TickInterval: time.Hour}, func(int) ShardState { return st }, NewStats())
	defer s.Close(context.Background())
	ctx := context.Background()
	results := make(chan string, 16)
	send := func(id string) {
		err := s.Apply(ctx, &events.Order{TenantID: "t", EventID: id})
		results <- fmt.Sprintf("%s:%v", id, err)
	}
	go send("e0")
	<-st.entered // e0 is being applied; the rest queue behind it
	for i := 1; i <= 6; i++ {
		go send(fmt.Sprintf("e%d", i))
		waitQueued(t, s, i)
	}
	go func() {
		_ = s.Do(ctx, "t", func(ShardState) {
			st.mu.Lock()
			st.calls = append(st.calls, []string{"fn"})
			st.mu.Unlock()
		})
		results <- "fn"
	}()
	waitQueued(t, s, 7)
	go send("e7")
	waitQueued(t, s, 8)
	close(st.gate)
	got := map[string]bool{}
	for range 9 {
		got[<-results] = true
	}
	for _, want := range []string{"e0:<nil>", "e1:<nil>", "e3:refused", "e6:<nil>", "e7:<nil>", "fn"} {
		if !got[want] {
			t.Errorf("missing result %q in %v", want, got)
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	want := "[[e0] [e1 e2 e3 e4] [e5 e6] [fn] [e7]]"
	if fmt.Sprint(st.calls) != want {
		t.Fatalf("batches %v, want %s (MaxBatch 4, a Do ends a batch)", st.calls, want)
	}
}

// waitQueued waits until the single shard's queue holds n requests.
func waitQueued(t *testing.T, s *Shards, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(s.queues[0]) < n {
		if time.Now().After(deadline) {
			t.Fatalf("queue holds %d requests, want %d", len(s.queues[0]), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWindowStateClosesAWindowWhenTheWatermarkPassesIt(t *testing.T) {
	var got []events.Insight
	ws, err := NewWindowState(WindowStateConfig{}, func(in events.Insight) { got = append(got, in) }, NewStats(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	order := func(id string, at time.Time) *events.Order {
		return &events.Order{EventID: id, TenantID: "t", Type: events.OrderCreated, OccurredAt: at,
			CustomerID: "c", Currency: "USD", Amount: 1250}
	}
	minute := func() (n int) {
		for _, in := range got {
			if in.Kind == events.KindWindowMetrics && in.Window.Size == "1m" && in.Window.Start.Equal(base) {
				n++
				if in.Metrics.Orders != 1 {
					t.Errorf("10:00 minute has %d orders, want 1", in.Metrics.Orders)
				}
			}
		}
		return n
	}
	now := base.Add(time.Hour) // processing time: the windows stay open until their watermark passes
	errs := make([]error, 2)
	ws.ApplyBatch([]*events.Order{order("a", base.Add(10*time.Second)), order("b", base.Add(90*time.Second))}, now, errs)
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if n := minute(); n != 0 {
		t.Fatalf("10:00 minute closed before the watermark (event time - 1m out-of-orderness) passed 10:01")
	}
	// 10:02:01 moves the watermark to 10:01:01: the 10:00 minute closes in
	// this call, with no Advance.
	if err := ws.Apply(order("c", base.Add(121*time.Second)), now); err != nil {
		t.Fatal(err)
	}
	if n := minute(); n != 1 {
		t.Fatalf("10:00 minute emitted %d times right after the watermark passed it, want 1", n)
	}
}

// blockingPublisher holds every publish until released.
type blockingPublisher struct {
	release   chan struct{}
	published atomic.Int64
}

func (p *blockingPublisher) Publish(ctx context.Context, _ events.Insight) error {
	select {
	case <-p.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	p.published.Add(1)
	return nil
}

// Sync returns only once the tenant's insights emitted before it are
// published.
func TestOutputsSyncWaitsForTheTenantsInsights(t *testing.T) {
	pub := &blockingPublisher{release: make(chan struct{})}
	out := NewOutputs(OutputsConfig{Workers: 2}, pub, nil, zerolog.Nop())
	defer out.Close(context.Background())
	for range 3 {
		out.Emit(events.Insight{TenantID: "t", Kind: events.KindWindowMetrics})
	}
	synced := make(chan error, 1)
	go func() { synced <- out.Sync("t") }()
	select {
	case err := <-synced:
		t.Fatalf("Sync returned (%v) with nothing published", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(pub.release)
	if err := <-synced; err != nil {
		t.Fatal(err)
	}
	if n := pub.published.Load(); n != 3 {
		t.Fatalf("Sync returned after %d of 3 publishes", n)
	}
}
