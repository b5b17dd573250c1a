package detect

import (
	"strings"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// sc builds a warm, valid score as the detector would with default config.
func sc(z float64, alert bool) Score {
	ev := z
	if ev < 0 {
		ev = -ev
	}
	return Score{Valid: true, Warm: true, Z: z, Evidence: ev, Alert: alert, Anomalous: ev >= DefaultThreshold,
		Value: 100 + 10*z, Expected: 100, Spread: 10, Band: events.Band{Low: 75, High: 125}, Method: MethodRobust, History: 64, threshold: DefaultThreshold}
}

func win(i int) events.Window { return events.Window{Start: hour(i), End: hour(i + 1), Size: "1h"} }

func TestLifecycle(t *testing.T) {
	key := Key{Tenant: "shop-1", Metric: MetricOrders, Size: "1h", Currency: "USD"}
	cases := []struct {
		name   string
		scores []Score
		want   []events.Kind // per step, "" for none
		sev    []events.Severity
	}{
		{
			name:   "hysteresis: between recovery and threshold stays open",
			scores: []Score{sc(0.5, false), sc(3, true), sc(2, false), sc(1.8, false), sc(1.2, false)},
			want:   []events.Kind{"", events.KindAnomalyOpened, "", "", events.KindAnomalyResolved},
		},
		{
			name:   "escalation to critical once",
			scores: []Score{sc(3, true), sc(4.5, true), sc(6, true), sc(0.2, false)},
			want:   []events.Kind{events.KindAnomalyOpened, events.KindAnomalyEscalated, "", events.KindAnomalyResolved},
			sev:    []events.Severity{events.SeverityWarning, events.SeverityCritical, "", events.SeverityCritical},
		},
		{
			name:   "critical at once",
			scores: []Score{sc(-7, true)},
			want:   []events.Kind{events.KindAnomalyOpened},
			sev:    []events.Severity{events.SeverityCritical},
		},
		{
			name:   "cooldown: no new incident for 3 points after resolution",
			scores: []Score{sc(3, true), sc(0, false), sc(3, true), sc(3, true), sc(3, true), sc(3, true)},
			want:   []events.Kind{events.KindAnomalyOpened, events.KindAnomalyResolved, "", "", "", events.KindAnomalyOpened},
		},
		{
			name:   "direction flip resolves",
			scores: []Score{sc(3, true), sc(-3, true)},
			want:   []events.Kind{events.KindAnomalyOpened, events.KindAnomalyResolved},
		},
		{
			name:   "anomalous without alert (unconfirmed) opens nothing",
			scores: []Score{sc(3.2, false), sc(0, false)},
			want:   []events.Kind{"", ""},
		},
		{
			name:   "invalid points change nothing",
			scores: []Score{sc(3, true), {}, sc(2, false)},
			want:   []events.Kind{events.KindAnomalyOpened, "", ""},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, err := NewLifecycle(key, Config{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var incident string
			rev := -1
			for i, s := range tc.scores {
				in, ok := l.Step(win(i), s, hour(i+1))
				got := events.Kind("")
				if ok {
					got = in.Kind
				}
				if got != tc.want[i] {
					t.Fatalf("step %d: kind %q, want %q", i, got, tc.want[i])
				}
				if !ok {
					continue
				}
				if tc.sev != nil && in.Severity != tc.sev[i] {
					t.Errorf("step %d: severity %s, want %s", i, in.Severity, tc.sev[i])
				}
				if in.Kind == events.KindAnomalyOpened {
					incident, rev = in.IncidentID, -1
					if in.IncidentID != IncidentID(key, hour(i)) {
						t.Errorf("incident id %s not derived from the opening window", in.IncidentID)
					}
				}
				if in.IncidentID != incident || in.Revision != rev+1 {
					t.Errorf("step %d: incident %s rev %d, want %s rev %d", i, in.IncidentID, in.Revision, incident, rev+1)
				}
				rev = in.Revision
				if in.InsightID != events.InsightID(key.Tenant, in.Kind, key.Metric, key.Currency, win(i), in.Revision) {
					t.Errorf("step %d: insight id not deterministic", i)
				}
				if in.Message == "" || !strings.HasSuffix(in.Message, ".") || in.GeneratedAt != hour(i+1) {
					t.Errorf("step %d: message %q generated %v", i, in.Message, in.GeneratedAt)
				}
			}
		})
	}
}

func TestFormatMoney(t *testing.T) {
	cases := []struct {
		cur   string
		minor float64
		want  string
	}{
		{"USD", 1240000, "$12,400"},
		{"USD", 995, "$9.95"},
		{"EUR", 145020.4, "€1,450"},
		{"JPY", 1234567, "¥1,234,567"},
		{"GBP", -250000, "-£2,500"},
		{"XYZ", 1240000, "XYZ 12,400"},
	}
	for _, c := range cases {
		if got := formatMoney(c.cur, c.minor); got != c.want {
			t.Errorf("formatMoney(%s, %v) = %q, want %q", c.cur, c.minor, got, c.want)
		}
	}
}

func TestMessageReadsLikeASentence(t *testing.T) {
	s := Score{Valid: true, Value: 1240000, Expected: 790000, Spread: 145000, Z: 3.1, Method: methodWeekly, History: 500}
	w := events.Window{Start: time.Date(2026, 7, 7, 14, 0, 0, 0, time.UTC), End: time.Date(2026, 7, 7, 15, 0, 0, 0, time.UTC), Size: "1h"}
	msg := DefaultTexter{}.Message(Event{Kind: events.KindAnomalyOpened, Key: Key{Metric: MetricRevenue, Currency: "USD"}, Window: w, Score: s})
	want := "Revenue on Tue 7 Jul 14:00-15:00 UTC was $12,400, 3.1 standard deviations above the usual Tuesday afternoon ($7,900 ± $1,450)."
	if msg != want {
		t.Errorf("got  %q\nwant %q", msg, want)
	}
	s = Score{Valid: true, Value: 3, Expected: 40, Spread: 6, Z: -5.2, Method: MethodRobust, History: 64}
	msg = DefaultTexter{}.Message(Event{Kind: events.KindAnomalyOpened, Key: Key{Metric: MetricOrders}, Window: w, Score: s})
	if !strings.HasPrefix(msg, "Orders on Tue 7 Jul 14:00-15:00 UTC were 3, 5.2 standard deviations below the usual level of the last 64 windows (40 ± 6)") {
		t.Errorf("got %q", msg)
	}
}
