package ask

import (
	"strings"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// memSource is a Source over a fixed list of insights.
type memSource []events.Insight

func (s memSource) ClosedWindows(tenant, size string, from, to time.Time) []events.Insight {
	var out []events.Insight
	for _, in := range s {
		if in.Metrics != nil && in.TenantID == tenant && in.Window.Size == size && !in.Window.Start.Before(from) && !in.Window.End.After(to) {
			out = append(out, in)
		}
	}
	return out
}

func (s memSource) Anomalies(tenant string, from, to time.Time) []events.Insight {
	var out []events.Insight
	for _, in := range s {
		if in.Metrics == nil && in.TenantID == tenant && !in.Window.Start.Before(from) && in.Window.Start.Before(to) {
			out = append(out, in)
		}
	}
	return out
}

func win(size string, start time.Time, d time.Duration, currency string, orders, revenue int64) events.Insight {
	return events.Insight{TenantID: "t", Kind: events.KindWindowMetrics, Window: events.Window{Start: start, End: start.Add(d), Size: size},
		Currency: currency, Metrics: &events.WindowMetrics{Currency: currency, Orders: orders, CompletedOrders: orders, CompletedRevenue: revenue, Revenue: revenue}}
}

// TestAnswerSumsCoverWithoutDoubleCounting: days come from daily windows,
// the rest of a period from hourly ones, and no hour inside a counted day
// is counted again; the comparison's change is computed from the sums.
func TestAnswerSumsCoverWithoutDoubleCounting(t *testing.T) {
	var src memSource
	var want [2]int64 // last week, the week before
	for d := range 14 {
		day := time.Date(2026, 2, 23, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d)
		rev := int64(10000 + 137*d)
		if d == 9 { // one day only has hourly windows
			for h := range 24 {
				src = append(src, win("1h", day.Add(time.Duration(h)*time.Hour), time.Hour, "USD", 1, rev/24))
			}
			rev = rev / 24 * 24
		} else {
			src = append(src, win("1d", day, 24*time.Hour, "USD", 24, rev))
			src = append(src, win("1h", day, time.Hour, "USD", 1, 999999)) // inside a day: must not count
		}
		want[1-d/7] += rev
	}
	src = append(src, win("1d", time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), 24*time.Hour, "EUR", 2, 500))
	r := Ask(src, "t", "revenue last week compared to the week before", testNow, Config{})
	got := map[string]string{}
	for _, f := range r.Figures {
		got[f.Period+" "+f.Currency] = f.Value
	}
	if got["period USD"] != events.FormatMinor(want[0], 2) || got["compare USD"] != events.FormatMinor(want[1], 2) || got["period EUR"] != "5.00" {
		t.Fatalf("figures %v, want %s and %s USD: %s", got, events.FormatMinor(want[0], 2), events.FormatMinor(want[1], 2), r.Answer)
	}
	if !strings.Contains(r.Answer, "6 daily windows and 24 hourly windows") || !strings.Contains(r.Answer, "up ") {
		t.Fatalf("answer does not say what it summed or the change: %s", r.Answer)
	}
}

func TestAnswerBestDayAnomaliesAndUnknown(t *testing.T) {
	var src memSource
	for d := range 28 {
		day := time.Date(2026, 2, 11, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d)
		rev := int64(1000)
		if day.Weekday() == time.Saturday {
			rev = 5000 + int64(d)
		}
		src = append(src, win("1d", day, 24*time.Hour, "USD", 1, rev))
	}
	r := Ask(src, "t", "best day of the week for revenue", testNow, Config{})
	if !strings.HasPrefix(r.Answer, "Saturday") {
		t.Fatalf("best day: %s", r.Answer)
	}
	r = Ask(src, "t", "any anomalies today?", testNow, Config{})
	if !strings.HasPrefix(r.Answer, "No anomalies") {
		t.Fatalf("no anomalies: %s", r.Answer)
	}
	src = append(src, events.Insight{TenantID: "t", Kind: events.KindAnomalyOpened, Metric: "revenue", IncidentID: "i1",
		Window: events.Window{Start: testNow.Truncate(time.Hour).Add(-time.Hour), Size: "1h"}, Observed: 1, Expected: 9, Severity: events.SeverityCritical})
	r = Ask(src, "t", "any anomalies today?", testNow, Config{})
	if !strings.HasPrefix(r.Answer, "Yes: 1 anomaly") || !strings.Contains(r.Answer, "below") {
		t.Fatalf("one anomaly: %s", r.Answer)
	}
	r = Ask(src, "t", "what is the meaning of life", testNow, Config{})
	if r.Understood.Intent != IntentUnknown || len(r.Suggestions) == 0 {
		t.Fatalf("unknown: %+v", r)
	}
	for _, s := range r.Suggestions { // every suggestion is understood
		if Parse(s, testNow, Config{}).Intent == IntentUnknown {
			t.Errorf("suggestion %q is not understood", s)
		}
	}
	r = Ask(src, "t", "revenue yesterday", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), Config{})
	if !strings.Contains(r.Answer, "no closed windows") {
		t.Fatalf("no data: %s", r.Answer)
	}
}
