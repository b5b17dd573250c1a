package windows

import (
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

func TestWatermarkLagOfActiveTenants(t *testing.T) {
	var got []time.Duration
	e := mustEngine(t, Config{OutOfOrderness: time.Minute, IdleTimeout: 5 * time.Minute,
		WatermarkLag: func(d time.Duration) { got = append(got, d) }})
	noop := func(Closed) {}
	now := t0
	// a: 10 minutes behind processing time; b: an event 30s ahead of it
	// (clock skew), so its watermark is just 30s behind.
	for _, o := range []*events.Order{
		order("a1", "a", events.OrderCreated, now.Add(-10*time.Minute), 100, "USD", "c"),
		order("a2", "a", events.OrderCreated, now.Add(-12*time.Minute), 100, "USD", "c"), // older: the max stays
		order("b1", "b", events.OrderCreated, now.Add(30*time.Second), 100, "USD", "c"),
	} {
		if _, err := e.Apply(o, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Advance(now.Add(time.Second), noop); err != nil {
		t.Fatal(err)
	}
	want := map[time.Duration]int{11*time.Minute + time.Second: 1, 31 * time.Second: 1}
	check := func(when string) {
		t.Helper()
		seen := map[time.Duration]int{}
		for _, d := range got {
			seen[d]++
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d observations %v, want %v", when, len(got), got, want)
		}
		for d, n := range want {
			if seen[d] != n {
				t.Fatalf("%s: observations %v, want %v", when, got, want)
			}
		}
	}
	check("first advance")

	// b keeps sending; a goes quiet past the idle timeout and is no longer
	// observed.
	got = got[:0]
	later := now.Add(6 * time.Minute)
	if _, err := e.Apply(order("b2", "b", events.OrderCreated, later.Add(-2*time.Minute), 100, "USD", "c"), later); err != nil {
		t.Fatal(err)
	}
	if err := e.Advance(later, noop); err != nil {
		t.Fatal(err)
	}
	// b's watermark is b2's time less the out-of-orderness: 3m behind.
	want = map[time.Duration]int{3 * time.Minute: 1}
	check("after a went idle")

	// An event ahead of processing time by more than the out-of-orderness
	// is no lag, not a negative one.
	got = got[:0]
	if _, err := e.Apply(order("b3", "b", events.OrderCreated, later.Add(5*time.Minute), 100, "USD", "c"), later); err != nil {
		t.Fatal(err)
	}
	if err := e.Advance(later, noop); err != nil {
		t.Fatal(err)
	}
	want = map[time.Duration]int{0: 1}
	check("watermark ahead")
}
