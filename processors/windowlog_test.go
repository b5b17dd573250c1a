package processors

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

func TestLoggedWindowRoundTripsExactly(t *testing.T) {
	start := time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC)
	w := loggedWindow{
		at:     start.Add(time.Hour + 61*time.Second),
		window: events.Window{Start: start, End: start.Add(time.Hour), Size: "1h"},
		metrics: events.WindowMetrics{Currency: "JPY", Orders: 41, CompletedOrders: 37, CancelledOrders: 3, RefundedOrders: 2,
			CompletedRevenue: 9_223_372_036_854_775_000, RefundedAmount: 1999, Revenue: -5, UniqueCustomers: 30,
			UniqueCustomersExact: true, ItemsSold: 88, LateEvents: 1},
	}
	b := appendLogged(nil, &w)
	got, err := parseLogged(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, w) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, w)
	}
	if len(b) > 64 {
		t.Errorf("record is %d bytes; the README's memory figure assumes about 40", len(b))
	}
	for _, bad := range [][]byte{nil, {2}, b[:5], append([]byte{1}, 0xff)} {
		if _, err := parseLogged(bad); !errors.Is(err, errBadRecord) {
			t.Errorf("parse %x: %v, want errBadRecord", bad, err)
		}
	}
}
