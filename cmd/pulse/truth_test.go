package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
)

// windowView is what a subscriber of the tenant-metrics topic has seen: the
// latest revision of every hourly window, and the Pub/Sub message ids that
// carried each first result (two ids for one insight id means it was
// published twice).
type windowView struct {
	latest map[eventgen.TruthKey]events.Insight
	firsts map[string]map[string]bool
}

func viewOf(t *testing.T, c *collected) windowView {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	v := windowView{latest: map[eventgen.TruthKey]events.Insight{}, firsts: map[string]map[string]bool{}}
	for _, m := range c.msgs {
		var in events.Insight
		if err := json.Unmarshal(m.Data, &in); err != nil {
			t.Fatalf("undecodable insight %s: %v", m.Data, err)
		}
		if in.Revision == 1 {
			if v.firsts[in.InsightID] == nil {
				v.firsts[in.InsightID] = map[string]bool{}
			}
			v.firsts[in.InsightID][m.ID] = true
		}
		if in.Window.Size != "1h" {
			continue
		}
		k := eventgen.TruthKey{Tenant: in.TenantID, Start: in.Window.Start.UTC(), Currency: in.Currency}
		if cur, ok := v.latest[k]; !ok || in.Revision > cur.Revision {
			v.latest[k] = in
		}
	}
	return v
}

// mismatch counts the windows of want whose latest revision is missing or
// differs (late_events aside: it depends on delivery order), with an example.
func (v windowView) mismatch(want map[eventgen.TruthKey]events.WindowMetrics) (n int, example string) {
	for k, w := range want {
		in, ok := v.latest[k]
		if !ok || in.Metrics == nil {
			n, example = n+1, fmt.Sprintf("%v missing", k)
			continue
		}
		m := *in.Metrics
		m.LateEvents = 0
		if m != w {
			n, example = n+1, fmt.Sprintf("%v: got %+v, want %+v", k, m, w)
		}
	}
	return n, example
}

// Traffic compared with the truth ends two hours before the test's clock
// (Now: time.Now().Add(-2 * time.Hour)): a window of the current hour
// cannot close before the hour ends, so a span ending at now would leave
// its last windows open for up to an hour, depending on when the test runs.
// waitForTruth polls the subscriber until every hourly window of want has
// reached its true figures, and returns what it saw then.
func waitForTruth(t *testing.T, c *collected, want map[eventgen.TruthKey]events.WindowMetrics, d time.Duration) windowView {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		v := viewOf(t, c)
		n, ex := v.mismatch(want)
		if n == 0 {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d hourly windows never reached their true figures, e.g. %s", n, len(want), ex)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
