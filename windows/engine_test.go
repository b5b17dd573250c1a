package windows

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

func TestIdleTenantClosesOnTimeout(t *testing.T) {
	e := mustEngine(t, Config{})
	var col collector
	at := t0.Add(10 * time.Second) // 23:30:10
	if _, err := e.Apply(order("a", "quiet", events.OrderCompleted, at, 1250, "USD", ""), at); err != nil {
		t.Fatal(err)
	}
	// A busy tenant moves on; the quiet one sends nothing more.
	for i := range 10 {
		busyAt := at.Add(time.Duration(i) * time.Minute)
		if _, err := e.Apply(order("b"+string(rune('0'+i)), "busy", events.OrderCreated, busyAt, 1, "USD", ""), busyAt); err != nil {
			t.Fatal(err)
		}
	}
	// Before the idle timeout: the quiet tenant's minute stays open (its
	// watermark, 23:29:10, is before the window end).
	if err := e.Advance(at.Add(DefaultIdleTimeout), col.emit); err != nil {
		t.Fatal(err)
	}
	if got := col.find("quiet", "1m", t0, "USD"); len(got) != 0 {
		t.Fatalf("closed before the idle timeout: %+v", got)
	}
	now := at.Add(DefaultIdleTimeout + time.Second)
	if err := e.Advance(now, col.emit); err != nil {
		t.Fatal(err)
	}
	got := col.find("quiet", "1m", t0, "USD")
	if len(got) != 1 || got[0].Reason != ReasonIdle || got[0].Revision != 1 || got[0].Metrics.Revenue != 1250 {
		t.Fatalf("quiet tenant 1m window: %+v", got)
	}
	// Windows that end after now-OutOfOrderness stay open: the hour, the day.
	if got := col.find("quiet", "1h", t0.Truncate(time.Hour), "USD"); len(got) != 0 {
		t.Fatalf("hour closed early: %+v", got)
	}
	// Idle for long enough, the hour closes too, by idle.
	if err := e.Advance(t0.Add(32*time.Minute), col.emit); err != nil {
		t.Fatal(err)
	}
	if got := col.find("quiet", "1h", t0.Truncate(time.Hour), "USD"); len(got) != 1 || got[0].Reason != ReasonIdle {
		t.Fatalf("hour after idle: %+v", got)
	}
}

func TestLateEventProducesRevision2(t *testing.T) {
	e := mustEngine(t, Config{})
	var col collector
	w := t0.Add(2 * time.Minute) // window [23:32, 23:33)
	apply := func(id string, typ events.EventType, at time.Time, amount int64, now time.Time) ApplyResult {
		t.Helper()
		res, err := e.Apply(order(id, "shop", typ, at, amount, "EUR", "c1", 2), now)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	apply("1", events.OrderCreated, w.Add(5*time.Second), 0, w.Add(5*time.Second))
	apply("2", events.OrderCompleted, w.Add(20*time.Second), 1000, w.Add(20*time.Second))
	// An event at 23:34:30 moves the watermark to 23:33:30: the window closes.
	apply("3", events.OrderCreated, w.Add(150*time.Second), 0, w.Add(150*time.Second))
	if err := e.Advance(w.Add(150*time.Second), col.emit); err != nil {
		t.Fatal(err)
	}
	first := col.find("shop", "1m", w, "EUR")
	if len(first) != 1 || first[0].Revision != 1 || first[0].Reason != ReasonWatermark || first[0].Metrics.Revenue != 1000 {
		t.Fatalf("first result: %+v", first)
	}
	// A completion at 23:32:40 arrives now: late, within the horizon.
	res := apply("4", events.OrderCompleted, w.Add(40*time.Second), 500, w.Add(160*time.Second))
	if !res.Applied() || res.Late != 1 || res.Dropped != 0 {
		t.Fatalf("late apply: %+v", res)
	}
	// The same late event redelivered changes nothing.
	if res := apply("4", events.OrderCompleted, w.Add(40*time.Second), 500, w.Add(161*time.Second)); !res.Duplicate {
		t.Fatalf("redelivery: %+v", res)
	}
	if err := e.Advance(w.Add(170*time.Second), col.emit); err != nil {
		t.Fatal(err)
	}
	all := col.find("shop", "1m", w, "EUR")
	if len(all) != 2 {
		t.Fatalf("want revisions 1 and 2, got %+v", all)
	}
	rev2 := all[1]
	m := rev2.Metrics
	if rev2.Revision != 2 || rev2.Reason != ReasonLate || m.Revenue != 1500 || m.CompletedOrders != 2 ||
		m.Orders != 1 || m.ItemsSold != 2 || m.LateEvents != 1 || m.AverageOrderValue() != 750 {
		t.Fatalf("revision 2: %+v", rev2)
	}
	in1, in2 := all[0].Insight(w), rev2.Insight(w)
	if in1.Kind != events.KindWindowMetrics || in2.Kind != events.KindWindowCorrection || in1.InsightID == in2.InsightID {
		t.Fatalf("insights: %+v / %+v", in1, in2)
	}
	if again := rev2.Insight(w.Add(time.Hour)); again.InsightID != in2.InsightID {
		t.Fatal("insight id depends on generation time")
	}
	// The 5-minute window [23:30, 23:35) was still open: not late there.
	if got := col.find("shop", "5m", t0, "EUR"); len(got) != 0 {
		t.Fatalf("5m window closed early: %+v", got)
	}
}

func TestTooLateIsCountedNotApplied(t *testing.T) {
	e := mustEngine(t, Config{CorrectionHorizon: time.Hour})
	t0 := time.Date(2026, 3, 7, 10, 0, 0, 0, time.UTC)
	var col collector
	if _, err := e.Apply(order("1", "s", events.OrderCreated, t0, 0, "USD", ""), t0); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(3 * time.Hour)
	if _, err := e.Apply(order("2", "s", events.OrderCreated, later, 0, "USD", ""), later); err != nil {
		t.Fatal(err)
	}
	if err := e.Advance(later, col.emit); err != nil {
		t.Fatal(err)
	}
	n := len(col.out)
	res, err := e.Apply(order("3", "s", events.OrderCompleted, t0.Add(time.Second), 10, "USD", ""), later)
	if err != nil {
		t.Fatal(err)
	}
	// 1m, 5m and 1h are past the 1h horizon; the calendar day (ends at
	// midnight, after the watermark) is still open.
	if res.Dropped != 3 || res.Late != 0 || !res.Applied() {
		t.Fatalf("result %+v", res)
	}
	if err := e.Advance(later, col.emit); err != nil {
		t.Fatal(err)
	}
	if len(col.out) != n {
		t.Fatalf("a too-late event emitted %+v", col.out[n:])
	}
	if st := e.Stats(); st.DroppedLateEvents != 1 {
		t.Fatalf("stats %+v", st)
	}
	// Its redelivery is a duplicate, not a second drop.
	if res, _ := e.Apply(order("3", "s", events.OrderCompleted, t0.Add(time.Second), 10, "USD", ""), later); !res.Duplicate {
		t.Fatalf("redelivery %+v", res)
	}
	if err := e.Flush(col.emit); err != nil {
		t.Fatal(err)
	}
	day := col.find("s", "1d", time.Date(2026, 3, 7, 0, 0, 0, 0, time.UTC), "USD")
	if len(day) != 1 || day[0].Metrics.CompletedRevenue != 10 || day[0].Metrics.Orders != 2 {
		t.Fatalf("day window %+v", day)
	}
}

func TestCapsRejectWithoutHarmingOthers(t *testing.T) {
	e := mustEngine(t, Config{MaxTenants: 2, MaxWindowsPerTenant: 8})
	for _, tn := range []string{"a", "b"} {
		if _, err := e.Apply(order(tn+"0", tn, events.OrderCreated, t0, 0, "USD", ""), t0); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.Apply(order("c0", "c", events.OrderCreated, t0, 0, "USD", ""), t0)
	if !errors.Is(err, ErrTooManyTenants) || !strings.Contains(err.Error(), `"c"`) {
		t.Fatalf("third tenant: %v", err)
	}
	// Tenant a has 4 panes (one per default window); each new minute adds
	// one, so it runs into its cap of 8 at the fifth minute.
	var capErr error
	for i := 1; i < 10 && capErr == nil; i++ {
		at := t0.Add(time.Duration(i) * time.Minute)
		_, capErr = e.Apply(order("a"+string(rune('0'+i)), "a", events.OrderCreated, at, 0, "USD", ""), t0)
	}
	if !errors.Is(capErr, ErrTooManyWindows) {
		t.Fatalf("window cap: %v", capErr)
	}
	// Tenant b is unaffected, and a still takes events in its open windows.
	if _, err := e.Apply(order("b1", "b", events.OrderCreated, t0.Add(time.Minute), 0, "USD", ""), t0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Apply(order("a-again", "a", events.OrderCreated, t0, 0, "USD", ""), t0); err != nil {
		t.Fatal(err)
	}
	st := e.Stats()
	if st.RejectedTooManyTenants != 1 || st.RejectedTooManyWindows != 1 || st.Tenants != 2 {
		t.Fatalf("stats %+v", st)
	}
	var col collector
	if err := e.Flush(col.emit); err != nil {
		t.Fatal(err)
	}
	if got := col.find("a", "1m", t0, "USD"); len(got) != 1 || got[0].Metrics.Orders != 2 {
		t.Fatalf("tenant a: %+v", got)
	}
}

func TestStateIsEvicted(t *testing.T) {
	e := mustEngine(t, Config{CorrectionHorizon: time.Hour, IdleTimeout: time.Minute})
	var col collector
	for i := range 200 {
		at := t0.Add(time.Duration(i) * time.Minute)
		if _, err := e.Apply(order("e"+itoa(i), "s", events.OrderCreated, at, 0, "USD", "c"), at); err != nil {
			t.Fatal(err)
		}
		if err := e.Advance(at, col.emit); err != nil {
			t.Fatal(err)
		}
	}
	st := e.Stats()
	// 1m panes within ~1h horizon + 1m lag, a few 5m, 2 hours, 1-2 days.
	if st.LivePanes > 90 {
		t.Fatalf("live panes %d: closed state not evicted", st.LivePanes)
	}
	// Idle long past the dedup horizon, the tenant is forgotten entirely.
	end := t0.Add(200*time.Minute + 3*24*time.Hour)
	for at := t0.Add(200 * time.Minute); !at.After(end); at = at.Add(time.Hour) {
		if err := e.Advance(at, col.emit); err != nil {
			t.Fatal(err)
		}
	}
	if st := e.Stats(); st.Tenants != 0 || st.LivePanes != 0 {
		t.Fatalf("after idle: %+v", st)
	}
	if ms := e.store.(*MemStore).Stats(); ms.Tenants != 0 || ms.Panes != 0 || ms.RememberedIDs != 0 {
		t.Fatalf("store after idle: %+v", ms)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"zero value", Config{}, nil},
		{"bad everything", Config{
			Windows:        []WindowSpec{{Size: -time.Minute}, {Size: time.Minute, Slide: 2 * time.Minute}, {Size: time.Hour, Calendar: true}},
			OutOfOrderness: -1, AllowedLateness: -1, IdleTimeout: -1, MaxTenants: -1, DedupHorizon: time.Minute,
		}, []string{"size -1m0s must be positive", "slide 2m0s", "calendar", "out-of-orderness", "allowed lateness", "idle timeout", "max tenants", "dedup horizon"}},
		{"duplicate window", Config{Windows: []WindowSpec{{Size: time.Minute}, {Size: time.Minute, Slide: time.Minute}}}, []string{"listed twice"}},
		{"too many panes", Config{Windows: []WindowSpec{{Size: 24 * time.Hour, Slide: time.Second}}}, []string{"limit 1440"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.cfg.Validate()
			if len(c.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLabels(t *testing.T) {
	for _, c := range []struct {
		w    WindowSpec
		want string
	}{
		{WindowSpec{Size: time.Minute}, "1m"}, {WindowSpec{Size: time.Hour, Slide: 5 * time.Minute}, "1h/5m"},
		{WindowSpec{Size: 24 * time.Hour, Calendar: true}, "1d"}, {WindowSpec{Size: 24 * time.Hour}, "24h"},
		{WindowSpec{Size: 90 * time.Second}, "90s"},
	} {
		if got := c.w.Label(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.w, got, c.want)
		}
	}
}

func TestCalendarDayFollowsTenantZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	e := mustEngine(t, Config{Zones: map[string]*time.Location{"ny": ny}})
	// 2026-03-08 is the US spring-forward day: 23 hours long in New York.
	at := time.Date(2026, 3, 8, 12, 0, 0, 0, ny)
	for _, tn := range []string{"ny", "utc"} {
		if _, err := e.Apply(order(tn, tn, events.OrderCreated, at, 0, "USD", ""), at); err != nil {
			t.Fatal(err)
		}
	}
	var col collector
	if err := e.Flush(col.emit); err != nil {
		t.Fatal(err)
	}
	nyStart := time.Date(2026, 3, 8, 0, 0, 0, 0, ny)
	got := col.find("ny", "1d", nyStart, "USD")
	if len(got) != 1 || got[0].Window.End.Sub(got[0].Window.Start) != 23*time.Hour {
		t.Fatalf("ny day: %+v", got)
	}
	if got := col.find("utc", "1d", time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC), "USD"); len(got) != 1 {
		t.Fatalf("utc day: %+v", col.out)
	}
}

func TestInvalidEventType(t *testing.T) {
	e := mustEngine(t, Config{})
	o := order("x", "s", events.OrderCreated, t0, 0, "USD", "")
	o.Type = 0
	if _, err := e.Apply(o, t0); !errors.Is(err, ErrInvalidEvent) {
		t.Fatalf("err %v", err)
	}
}

func itoa(i int) string {
	return strings.TrimSpace(strings.Replace(time.Duration(i).String(), "ns", "", 1))
}

// TestApplyKeepsTheOrderOnTheCallersStack guards the hot path's
// allocations: Apply must not retain its order (directly, or by handing it
// to a function value), or every caller's order moves to the heap, one
// allocation per event.
func TestApplyKeepsTheOrderOnTheCallersStack(t *testing.T) {
	e := mustEngine(t, Config{})
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	ids := make([]string, 2000)
	for i := range ids {
		ids[i] = fmt.Sprint("e", i)
	}
	i := 0
	apply := func() {
		o := events.Order{EventID: ids[i%len(ids)], Type: events.OrderCreated, TenantID: "t", OrderID: "o",
			CustomerID: "c", Currency: "USD", Amount: 100, OccurredAt: at.Add(time.Duration(i) * time.Millisecond)}
		i++
		if _, err := e.Apply(&o, o.OccurredAt); err != nil {
			t.Fatal(err)
		}
	}
	for range 500 { // panes, dedup sets and scratch buffers in place
		apply()
	}
	if n := testing.AllocsPerRun(1000, apply); n >= 1 {
		t.Fatalf("%.2f allocations per Apply, want none (is the order escaping?)", n)
	}
}
