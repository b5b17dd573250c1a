package windows

import (
	"errors"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// The partial figures of an open window are what its close emits when no
// more events arrive: for a hopping window merging two panes, in two
// currencies, with customers; and looking changes nothing.
func TestOpenWindowsEqualTheirClose(t *testing.T) {
	e := mustEngine(t, Config{Windows: []WindowSpec{
		{Size: time.Hour}, {Size: 10 * time.Minute, Slide: 5 * time.Minute},
	}})
	start := t0.Truncate(10 * time.Minute) // 23:30: panes 23:30 and 23:35
	type ev struct {
		id       string
		typ      events.EventType
		offset   time.Duration
		amount   int64
		currency string
		customer string
	}
	evs := []ev{
		{"1", events.OrderCreated, 10 * time.Second, 0, "USD", "c1"},
		{"2", events.OrderCompleted, 40 * time.Second, 2599, "USD", ""},
		{"3", events.OrderCreated, 2 * time.Minute, 0, "EUR", "c2"},
		{"4", events.OrderCompleted, 3 * time.Minute, 1000, "EUR", ""},
		// second pane
		{"5", events.OrderCreated, 6 * time.Minute, 0, "USD", "c1"},
		{"6", events.OrderCreated, 7 * time.Minute, 0, "USD", "c3"},
		{"7", events.OrderCompleted, 8 * time.Minute, 4001, "USD", ""},
		{"8", events.OrderRefunded, 9 * time.Minute, 500, "USD", ""},
		{"9", events.OrderCancelled, 9*time.Minute + 30*time.Second, 0, "EUR", ""},
	}
	var now time.Time
	for _, x := range evs {
		now = start.Add(x.offset)
		if _, err := e.Apply(order(x.id, "shop", x.typ, now, x.amount, x.currency, x.customer, 2), now); err != nil {
			t.Fatal(err)
		}
	}
	var col collector
	if err := e.Advance(now, col.emit); err != nil {
		t.Fatal(err)
	}
	before := e.Stats()

	open, err := e.OpenWindows("shop", "10m/5m", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Watermark 23:38:30: [23:25, 23:35) has closed; [23:30, 23:40) and
	// [23:35, 23:45) are open, two currencies each.
	if len(open) != 4 {
		t.Fatalf("open windows: %+v", open)
	}
	for i, c := range open {
		if c.Revision != 0 || c.Reason != ReasonOpen || c.TenantID != "shop" || c.Window.Size != "10m/5m" {
			t.Fatalf("open window %d: %+v", i, c)
		}
		if i > 0 && c.Window.Start.Before(open[i-1].Window.Start) {
			t.Fatalf("open windows not oldest first: %+v", open)
		}
	}
	both := open[0]
	if !both.Window.Start.Equal(start) {
		t.Fatalf("first open window starts %s, want %s", both.Window.Start, start)
	}
	usd := both.Metrics
	if both.Metrics.Currency != "USD" {
		usd = open[1].Metrics
	}
	// Both panes merged: 3 orders, 2 distinct customers, 2599+4001-500.
	if usd.Orders != 3 || usd.UniqueCustomers != 2 || usd.Revenue != 6100 || usd.CompletedOrders != 2 || usd.RefundedOrders != 1 || usd.ItemsSold != 6 {
		t.Fatalf("USD figures of both panes: %+v", usd)
	}
	if e.Stats() != before {
		t.Fatalf("looking changed the counters: %+v, was %+v", e.Stats(), before)
	}
	if got, err := e.OpenWindows("shop", "1h", nil); err != nil || len(got) != 2 {
		t.Fatalf("open hours: %+v %v", got, err)
	}

	// No more events: the idle close emits the same figures.
	if err := e.Advance(now.Add(time.Hour), col.emit); err != nil {
		t.Fatal(err)
	}
	for _, c := range open {
		got := col.find("shop", "10m/5m", c.Window.Start, c.Metrics.Currency)
		if len(got) != 1 || got[0].Revision != 1 {
			t.Fatalf("close of %s %s: %+v", c.Window.Start, c.Metrics.Currency, got)
		}
		if got[0].Metrics != c.Metrics || got[0].Window != c.Window {
			t.Errorf("window %s %s: partial %+v, close %+v", c.Window.Start, c.Metrics.Currency, c.Metrics, got[0].Metrics)
		}
	}
	if got, err := e.OpenWindows("shop", "10m/5m", nil); err != nil || len(got) != 0 {
		t.Fatalf("after the close: %+v %v", got, err)
	}
}

func TestOpenWindowsUnknown(t *testing.T) {
	e := mustEngine(t, Config{})
	if got, err := e.OpenWindows("nobody", "1h", nil); err != nil || len(got) != 0 {
		t.Fatalf("unknown tenant: %+v %v", got, err)
	}
	if _, err := e.OpenWindows("nobody", "7m", nil); !errors.Is(err, ErrUnknownWindow) {
		t.Fatalf("unknown size: %v", err)
	}
}
