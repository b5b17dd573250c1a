package batch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// recorder is a FlushFunc that remembers every batch it saw.
type recorder struct {
	mu      sync.Mutex
	batches [][]int
	fail    func(item int) error
	block   chan struct{} // when non-nil, flushes wait on it
}

func (r *recorder) flush(ctx context.Context, items []int) []error {
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			errs := make([]error, len(items))
			for i := range errs {
				errs[i] = ctx.Err()
			}
			return errs
		}
	}
	r.mu.Lock()
	r.batches = append(r.batches, append([]int(nil), items...))
	r.mu.Unlock()
	if r.fail == nil {
		return nil
	}
	errs := make([]error, len(items))
	for i, it := range items {
		errs[i] = r.fail(it)
	}
	return errs
}

func (r *recorder) sizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []int
	for _, b := range r.batches {
		s = append(s, len(b))
	}
	return s
}

func submitAll(t *testing.T, b *Batcher[int], n, size int) []error {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = b.Submit(context.Background(), i, size) })
	}
	wg.Wait()
	return errs
}

func TestFlushTriggers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		policy    Policy
		n, size   int
		wantMaxSz int // no batch larger than this
		wantMinB  int // at least this many batches
	}{
		{name: "count", policy: Policy{MaxRows: 10, MaxBytes: 1 << 20, MaxAge: 5 * time.Millisecond}, n: 100, size: 1, wantMaxSz: 10, wantMinB: 10},
		{name: "bytes", policy: Policy{MaxRows: 1000, MaxBytes: 100, MaxAge: 5 * time.Millisecond}, n: 100, size: 30, wantMaxSz: 3, wantMinB: 34},
		{name: "age", policy: Policy{MaxRows: 1000, MaxBytes: 1 << 20, MaxAge: time.Millisecond}, n: 7, size: 1, wantMaxSz: 7, wantMinB: 1},
		{name: "oversized item alone", policy: Policy{MaxRows: 1000, MaxBytes: 10, MaxAge: time.Hour}, n: 5, size: 50, wantMaxSz: 1, wantMinB: 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			b := New(tc.policy, rec.flush)
			defer b.Close(context.Background())
			for i, err := range submitAll(t, b, tc.n, tc.size) {
				if err != nil {
					t.Fatalf("item %d: %v", i, err)
				}
			}
			total := 0
			sizes := rec.sizes()
			for _, s := range sizes {
				total += s
				if s > tc.wantMaxSz {
					t.Errorf("batch of %d, want at most %d", s, tc.wantMaxSz)
				}
			}
			if total != tc.n {
				t.Errorf("flushed %d items, want %d", total, tc.n)
			}
			if len(sizes) < tc.wantMinB {
				t.Errorf("%d batches, want at least %d", len(sizes), tc.wantMinB)
			}
		})
	}
}

func TestPerItemErrors(t *testing.T) {
	bad := errors.New("bad")
	rec := &recorder{fail: func(it int) error {
		if it%3 == 0 {
			return fmt.Errorf("item %d: %w", it, bad)
		}
		return nil
	}}
	b := New(Policy{MaxRows: 8, MaxAge: time.Millisecond}, rec.flush)
	defer b.Close(context.Background())
	for i, err := range submitAll(t, b, 50, 1) {
		if got, want := errors.Is(err, bad), i%3 == 0; got != want {
			t.Errorf("item %d: err %v, want failure %v", i, err, want)
		}
	}
}

func TestCloseDrainsPending(t *testing.T) {
	rec := &recorder{}
	// The age (an hour) and count never fire: only Close flushes.
	b := New(Policy{MaxRows: 1000, MaxAge: time.Hour}, rec.flush)
	const n = 25
	done := make(chan error, n)
	for i := range n {
		go func() { done <- b.Submit(context.Background(), i, 1) }()
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	written := 0
	for range n {
		switch err := <-done; {
		case err == nil:
			written++
		case errors.Is(err, ErrClosed):
		default:
			t.Fatal(err)
		}
	}
	total := 0
	for _, s := range rec.sizes() {
		total += s
	}
	if total != written {
		t.Fatalf("flushed %d items but %d submitters saw success", total, written)
	}
	if err := b.Submit(context.Background(), 1, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("submit after close: %v, want ErrClosed", err)
	}
}

func TestCloseDeadlineCancelsFlush(t *testing.T) {
	rec := &recorder{block: make(chan struct{})}
	b := New(Policy{MaxRows: 1, MaxAge: time.Hour}, rec.flush)
	got := make(chan error, 1)
	go func() { got <- b.Submit(context.Background(), 1, 1) }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close: %v, want context.Canceled", err)
	}
	if err := <-got; err == nil {
		t.Fatal("a flush cut short by Close reported success")
	}
}

func TestSubmitContextCancelled(t *testing.T) {
	rec := &recorder{block: make(chan struct{})}
	b := New(Policy{MaxRows: 1, MaxAge: time.Hour}, rec.flush)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- b.Submit(ctx, 1, 1) }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit: %v, want context.Canceled", err)
	}
	close(rec.block)
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkSubmit(b *testing.B) {
	bt := New(Policy{MaxRows: 32, MaxBytes: 5 << 20, MaxAge: time.Millisecond, Workers: 2}, func(context.Context, []int) []error { return nil })
	defer bt.Close(context.Background())
	b.ReportAllocs()
	b.SetParallelism(64) // 128 in-flight messages on 2 cores, as under Pub/Sub; batches of 32 fill by count
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := bt.Submit(context.Background(), 1, 300); err != nil {
				b.Error(err)
			}
		}
	})
}

// TestSubmitAllFromOneGoroutine: many items from one caller fill whole
// batches (not one batch age per item), and each gets its own outcome.
func TestSubmitAllFromOneGoroutine(t *testing.T) {
	odd := errors.New("odd refused")
	r := &recorder{fail: func(it int) error {
		if it%2 == 1 && it < 10 {
			return odd
		}
		return nil
	}}
	b := New(Policy{MaxRows: 100, MaxAge: time.Hour, Workers: 2}, r.flush)
	items := make([]int, 250)
	sizes := make([]int, 250)
	for i := range items {
		items[i], sizes[i] = i, 10
	}
	done := make(chan []error)
	go func() { done <- b.SubmitAll(context.Background(), items[:200], sizes[:200]) }()
	var errs []error
	select {
	case errs = <-done: // two full batches: no wait for the hour-long age
	case <-time.After(10 * time.Second):
		t.Fatal("SubmitAll of two full batches waited for the batch age")
	}
	for i, err := range errs {
		if want := i%2 == 1 && i < 10; (err != nil) != want || (err != nil && !errors.Is(err, odd)) {
			t.Errorf("item %d: %v", i, err)
		}
	}
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := r.sizes(); len(got) != 2 || got[0] != 100 || got[1] != 100 {
		t.Errorf("batch sizes %v, want 100, 100", got)
	}
	for _, err := range b.SubmitAll(context.Background(), items[:3], sizes[:3]) {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("after Close: %v, want ErrClosed", err)
		}
	}
}
