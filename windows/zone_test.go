package windows

import (
	"fmt"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestZoneChangeCutsATransitionDay(t *testing.T) {
	ny, tokyo := mustLoad(t, "America/New_York"), mustLoad(t, "Asia/Tokyo")
	utc := func(s string) int64 {
		x, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return x.UnixNano()
	}
	for _, c := range []struct {
		name       string
		z          Zone
		at         string
		start, end string
	}{
		// UTC to New York (EST, UTC-5, on 2026-01-20), applying from 15:00Z
		// on the 20th: the UTC day of the 20th stays; the 21st starts with a
		// 5-hour transition day up to New York's midnight; then New York
		// days.
		{"before the switch", Zone{Loc: ny, Previous: time.UTC, Since: time.Unix(0, utc("2026-01-20T15:00:00Z"))}, "2026-01-20T23:59:59Z", "2026-01-20T00:00:00Z", "2026-01-21T00:00:00Z"},
		{"transition day", Zone{Loc: ny, Previous: time.UTC, Since: time.Unix(0, utc("2026-01-20T15:00:00Z"))}, "2026-01-21T02:00:00Z", "2026-01-21T00:00:00Z", "2026-01-21T05:00:00Z"},
		{"new zone", Zone{Loc: ny, Previous: time.UTC, Since: time.Unix(0, utc("2026-01-20T15:00:00Z"))}, "2026-01-21T05:00:00Z", "2026-01-21T05:00:00Z", "2026-01-22T05:00:00Z"},
		// New York to Tokyo (UTC+9), 14 hours ahead: New York's midnight
		// of the 21st is 05:00Z; Tokyo's next midnight is 15:00Z, so the
		// transition day is 10 hours.
		{"eastward transition", Zone{Loc: tokyo, Previous: ny, Since: time.Unix(0, utc("2026-01-20T20:00:00Z"))}, "2026-01-21T06:00:00Z", "2026-01-21T05:00:00Z", "2026-01-21T15:00:00Z"},
		{"eastward after", Zone{Loc: tokyo, Previous: ny, Since: time.Unix(0, utc("2026-01-20T20:00:00Z"))}, "2026-01-21T15:00:00Z", "2026-01-21T15:00:00Z", "2026-01-22T15:00:00Z"},
		// Since exactly at the old zone's midnight: the switch is there.
		{"since at midnight", Zone{Loc: ny, Previous: time.UTC, Since: time.Unix(0, utc("2026-01-21T00:00:00Z"))}, "2026-01-21T00:00:00Z", "2026-01-21T00:00:00Z", "2026-01-21T05:00:00Z"},
		{"no change", Zone{Loc: ny}, "2026-01-21T02:00:00Z", "2026-01-20T05:00:00Z", "2026-01-21T05:00:00Z"},
	} {
		s, e := c.z.Day(utc(c.at))
		if s != utc(c.start) || e != utc(c.end) {
			t.Errorf("%s: day of %s = [%s, %s), want [%s, %s)", c.name, c.at,
				time.Unix(0, s).UTC().Format(time.RFC3339), time.Unix(0, e).UTC().Format(time.RFC3339), c.start, c.end)
		}
	}
}

// TestEngineTakesAZoneChangeWithoutARestart changes a tenant's zone while
// it is live: the day already open keeps its bounds, a transition day
// follows, then days of the new zone; every event is counted once.
func TestEngineTakesAZoneChangeWithoutARestart(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	zone := Zone{Loc: time.UTC}
	e := mustEngine(t, Config{Windows: []WindowSpec{{Size: day, Calendar: true}}, IdleTimeout: 1000 * time.Hour,
		TenantZone: func(string) Zone { return zone }})
	var c collector
	start := time.Date(2026, 1, 20, 0, 30, 0, 0, time.UTC)
	n := 0
	for at := start; at.Before(start.Add(72 * time.Hour)); at = at.Add(30 * time.Minute) {
		if at.Equal(start.Add(15 * time.Hour)) {
			// Saved at 15:30Z on the 20th, while the UTC day of the 20th
			// holds events.
			zone = Zone{Loc: ny, Previous: time.UTC, Since: at}
		}
		if _, err := e.Apply(order(fmt.Sprint(n), "t", events.OrderCreated, at, 100, "USD", "c"), at); err != nil {
			t.Fatal(err)
		}
		n++
		if err := e.Advance(at, c.emit); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Flush(c.emit); err != nil {
		t.Fatal(err)
	}
	var got []string
	total := int64(0)
	for _, x := range c.out {
		got = append(got, fmt.Sprintf("%s..%s:%d", x.Window.Start.Format("02T15"), x.Window.End.Format("02T15"), x.Metrics.Orders))
		total += x.Metrics.Orders
	}
	// 20th 00:30Z-23:30Z: 47 events in the UTC day; 21st 00:00-05:00Z: 10
	// in the transition day; then a New York day (from 05:00Z) of 48
	// events, and the last, partial one (22nd 05:00Z to 23rd 00:00Z: 39)
	// flushed.
	want := "[20T00..21T00:47 21T00..21T05:10 21T05..22T05:48 22T05..23T05:39]"
	if fmt.Sprint(got) != want {
		t.Fatalf("days %v, want %s", got, want)
	}
	if total != int64(n) {
		t.Fatalf("days hold %d events, applied %d", total, n)
	}
}
