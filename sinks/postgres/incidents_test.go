package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// lifecycle returns the opened, escalated and resolved insights of one
// incident, an hour apart.
func lifecycle(tenant, incident string) []events.Insight {
	mk := func(kind events.Kind, sev events.Severity, score float64, h int, observed float64) events.Insight {
		w := events.Window{Start: t0.Add(time.Duration(h) * time.Hour), End: t0.Add(time.Duration(h+1) * time.Hour), Size: "1h"}
		return events.Insight{
			SchemaVersion: 1, InsightID: events.InsightID(tenant, kind, incident, "USD", w, h+1), TenantID: tenant,
			Kind: kind, Metric: "revenue", Currency: "USD", Window: w, Observed: observed, Expected: 1000,
			Band: events.Band{Low: 800, High: 1200}, Score: score, Severity: sev, Message: fmt.Sprintf("%s at %d", kind, h),
			GeneratedAt: w.End.Add(time.Minute), Revision: h + 1, IncidentID: incident,
		}
	}
	return []events.Insight{
		mk(events.KindAnomalyOpened, events.SeverityWarning, 0.7, 0, 2000),
		mk(events.KindAnomalyEscalated, events.SeverityCritical, 0.95, 1, 4000),
		mk(events.KindAnomalyResolved, events.SeverityInfo, 0.2, 2, 1050),
	}
}

func mustIncident(t *testing.T, s *Store, tenant, id string) Incident {
	t.Helper()
	inc, ok, err := s.Incident(context.Background(), tenant, id)
	if err != nil || !ok {
		t.Fatalf("incident %s: found %v, %v", id, ok, err)
	}
	return inc
}

func TestRecordInsightLifecycle(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	ins := lifecycle("shop-a", "inc-1")
	if err := s.RecordInsight(ctx, ins[0]); err != nil {
		t.Fatal(err)
	}
	open := mustIncident(t, s, "shop-a", "inc-1")
	if open.State != StateOpen || !open.OpenedAt.Equal(ins[0].GeneratedAt) || open.EscalatedAt != nil || open.ResolvedAt != nil {
		t.Fatalf("after opened: %+v", open)
	}
	for _, in := range ins[1:] {
		if err := s.RecordInsight(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	got := mustIncident(t, s, "shop-a", "inc-1")
	switch {
	case got.State != StateResolved:
		t.Errorf("state %s, want resolved", got.State)
	case got.EscalatedAt == nil || !got.EscalatedAt.Equal(ins[1].GeneratedAt):
		t.Errorf("escalated_at %v, want %v", got.EscalatedAt, ins[1].GeneratedAt)
	case got.ResolvedAt == nil || !got.ResolvedAt.Equal(ins[2].GeneratedAt):
		t.Errorf("resolved_at %v, want %v", got.ResolvedAt, ins[2].GeneratedAt)
	case !got.OpenedAt.Equal(ins[0].GeneratedAt):
		t.Errorf("opened_at %v, want %v", got.OpenedAt, ins[0].GeneratedAt)
	case got.PeakScore != ins[1].Score || got.PeakSeverity != events.SeverityCritical:
		t.Errorf("peak %v %s, want the escalation's %v critical", got.PeakScore, got.PeakSeverity, ins[1].Score)
	case got.Severity != ins[2].Severity || got.Observed != ins[2].Observed || got.Message != ins[2].Message:
		t.Errorf("latest figures %s %v %q, want the resolution's", got.Severity, got.Observed, got.Message)
	case !got.FirstWindow.Start.Equal(ins[0].Window.Start) || !got.LastWindow.Start.Equal(ins[2].Window.Start):
		t.Errorf("windows %v..%v", got.FirstWindow, got.LastWindow)
	case got.Updates != len(ins):
		t.Errorf("updates %d, want %d", got.Updates, len(ins))
	}

	// A replay of every insight, in any order, changes nothing.
	for i := len(ins) - 1; i >= 0; i-- {
		if err := s.RecordInsight(ctx, ins[i]); err != nil {
			t.Fatal(err)
		}
	}
	if again := mustIncident(t, s, "shop-a", "inc-1"); !equalIncident(again, got) {
		t.Fatalf("replay changed the incident:\n got  %+v\n want %+v", again, got)
	}
}

// Insights of one incident may reach the writer in any order (retries);
// every order gives the same incident, and the state never goes back.
func TestRecordInsightOrderIndependent(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	perms := [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
	var want Incident
	for i, p := range perms {
		id := fmt.Sprintf("inc-%d", i)
		ins := lifecycle("shop-a", id)
		for _, k := range p {
			if err := s.RecordInsight(ctx, ins[k]); err != nil {
				t.Fatal(err)
			}
			if got := mustIncident(t, s, "shop-a", id); k == 2 && got.State != StateResolved {
				t.Fatalf("order %v: state %s after the resolution", p, got.State)
			}
		}
		got := mustIncident(t, s, "shop-a", id)
		got.IncidentID = ""
		if i == 0 {
			want = got
			continue
		}
		if !equalIncident(got, want) {
			t.Errorf("order %v:\n got  %+v\n want %+v", p, got, want)
		}
	}
}

func TestRecordInsightIgnoresOtherKinds(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	in := lifecycle("shop-a", "inc-1")[0]
	in.Kind = events.KindWindowMetrics
	if err := s.RecordInsight(ctx, in); err != nil {
		t.Fatal(err)
	}
	page, _, err := s.Incidents(ctx, "shop-a", IncidentQuery{})
	if err != nil || len(page) != 0 {
		t.Fatalf("window.metrics made incidents %v (%v)", page, err)
	}
}

func TestIncidentsPages(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	const n = 7
	for i := range n {
		ins := lifecycle("shop-a", fmt.Sprintf("inc-%d", i))
		last := 1
		if i%2 == 0 {
			last = 3 // even incidents resolve
		}
		for _, in := range ins[:last] {
			if err := s.RecordInsight(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.RecordInsight(ctx, lifecycle("shop-b", "other")[0]); err != nil {
		t.Fatal(err)
	}
	for _, state := range []string{"", StateOpen, StateResolved} {
		var ids []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > n {
				t.Fatalf("state %q: paging does not end", state)
			}
			page, next, err := s.Incidents(ctx, "shop-a", IncidentQuery{State: state, Cursor: cursor, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, inc := range page {
				if state != "" && inc.State != state {
					t.Errorf("state %q: got a %s incident", state, inc.State)
				}
				ids = append(ids, inc.IncidentID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		var want []string
		for i := n - 1; i >= 0; i-- {
			if state == "" || (state == StateResolved) == (i%2 == 0) {
				want = append(want, fmt.Sprintf("inc-%d", i))
			}
		}
		if fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Errorf("state %q: pages gave %v, want newest first %v", state, ids, want)
		}
	}
	if _, _, err := s.Incidents(ctx, "shop-a", IncidentQuery{Cursor: "x"}); !errors.Is(err, ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}
}

func equalIncident(a, b Incident) bool {
	a.IncidentID, b.IncidentID = "", ""
	eqT := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	if !eqT(a.EscalatedAt, b.EscalatedAt) || !eqT(a.ResolvedAt, b.ResolvedAt) {
		return false
	}
	a.EscalatedAt, b.EscalatedAt, a.ResolvedAt, b.ResolvedAt = nil, nil, nil, nil
	return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b)
}
