package analytics

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// TestEndToEndSeasonality feeds six weeks of generated traffic, as the
// windows package would close it (hourly windows, calendar-day windows in
// UTC, nothing for a period without orders), and expects each tenant's
// built-in weekly pattern back as a seasonality insight whose best day is
// the brute-force best weekday of its own window and fits the tenant's
// shape (consumer shops peak at the weekend, business shops on weekdays).
func TestEndToEndSeasonality(t *testing.T) {
	tr := generated(t)
	hourly, daily := tr.bucket(time.Hour), tr.bucket(24*time.Hour)
	e := newEngine(t, Config{})
	ids := map[string]bool{}
	for _, id := range tr.tenants {
		h, d := hourly[id], daily[id]
		var rs []Result
		for i := range h.orders {
			start := tr.start.Add(time.Duration(i) * time.Hour)
			if h.orders[i] != 0 || h.revenue[i] != 0 {
				w := hourWindow(start)
				rs = append(rs, e.ObserveWindow(id, w, events.WindowMetrics{Currency: "X", Orders: int64(h.orders[i]), Revenue: int64(h.revenue[i])}, w.End)...)
			}
			if (i+1)%24 == 0 {
				di := i / 24
				w := events.Window{Start: tr.start.Add(time.Duration(di) * day), End: tr.start.Add(time.Duration(di+1) * day), Size: sizeDay}
				rs = append(rs, e.ObserveWindow(id, w, events.WindowMetrics{Currency: "X", Orders: int64(d.orders[di]), Revenue: int64(d.revenue[di])}, w.End)...)
			}
		}
		checkResults(t, rs, ids)
		byKind := map[string]int{}
		var weekly []*WeeklyPattern
		var weeklyIn []events.Insight
		for _, r := range rs {
			byKind[string(r.Insight.Kind)+"/"+r.Insight.Window.Size]++
			if r.WeeklyPattern != nil {
				weekly = append(weekly, r.WeeklyPattern)
				weeklyIn = append(weeklyIn, r.Insight)
			}
		}
		t.Logf("%s: %v", id, byKind)
		if len(weekly) == 0 {
			t.Fatalf("%s: no weekly seasonality insight", id)
		}
		// Daily trends every day from MinPoints days; forecasts every hour
		// and day once there is history; a daily pattern.
		if byKind["trend/1d"] < 2*(trafficWeeks*7-DefaultMinTrendPoints) || byKind["forecast/1h"] < 2*((trafficWeeks-1)*168-24) ||
			byKind["forecast/1d"] < 2*(trafficWeeks*7-14) || byKind["seasonality/1h"] == 0 {
			t.Errorf("%s: too few insights: %v", id, byKind)
		}
		for i, p := range weekly {
			in := weeklyIn[i]
			first := int(in.Window.Start.Sub(tr.start) / day)
			last := int(in.Window.End.Sub(tr.start) / day)
			var sum [7]float64
			var n [7]int
			for di := first; di < last; di++ {
				wd := tr.start.Add(time.Duration(di) * day).Weekday()
				sum[wd] += d.revenue[di]
				n[wd]++
			}
			var means [7]float64
			for wd := range means {
				means[wd] = sum[wd] / float64(n[wd])
			}
			best, worst := extremes(means[:])
			if p.Best != time.Weekday(best) || p.Worst != time.Weekday(worst) {
				t.Errorf("%s: pattern %s/%s, brute force %s/%s", id, p.Best, p.Worst, time.Weekday(best), time.Weekday(worst))
			}
			weekend := func(d time.Weekday) bool { return d == time.Saturday || d == time.Sunday }
			consumer := weekend(p.Best) && p.Worst >= time.Monday && p.Worst <= time.Wednesday
			business := !weekend(p.Best) && weekend(p.Worst)
			if !consumer && !business {
				t.Errorf("%s: best %s, worst %s fits neither weekly shape", id, p.Best, p.Worst)
			}
			if !strings.HasPrefix(in.Message, "Strong weekly pattern: "+p.Best.String()+" is the best performing day") || p.Ratio <= 1.2 {
				t.Errorf("%s: %q (ratio %.2f)", id, in.Message, p.Ratio)
			}
		}
	}
}

// TestEndToEndAtRisk feeds a tenant's six weeks of orders, sweeping at every
// midnight, then keeps sweeping daily for 100 simulated days without
// orders: every customer becomes At_Risk exactly once, at the first sweep
// more than 90 days after their last completed order, and never before.
func TestEndToEndAtRisk(t *testing.T) {
	tr := generated(t)
	tenant := tr.tenants[len(tr.tenants)-1]
	e := newEngine(t, Config{})
	last := map[string]time.Time{}
	atRisk := map[string][]time.Time{}
	ids := map[string]bool{}
	collect := func(rs []Result) {
		checkResults(t, rs, ids)
		for _, r := range rs {
			if c := r.Change; c != nil && c.To == SegmentAtRisk {
				atRisk[c.CustomerID] = append(atRisk[c.CustomerID], c.At)
			}
		}
	}
	nextSweep := tr.start.Add(day)
	for _, o := range tr.orders {
		if o.TenantID != tenant {
			continue
		}
		for !o.OccurredAt.Before(nextSweep) {
			collect(sweep(t, e, nextSweep))
			nextSweep = nextSweep.Add(day)
		}
		collect(observe(t, e, o, o.OccurredAt))
		if o.Type == events.OrderCompleted && o.CustomerID != "" && o.OccurredAt.After(last[o.CustomerID]) {
			last[o.CustomerID] = o.OccurredAt
		}
	}
	end := tr.start.Add(time.Duration(trafficWeeks*7+100) * day)
	for ; !nextSweep.After(end); nextSweep = nextSweep.Add(day) {
		collect(sweep(t, e, nextSweep))
	}
	if len(last) < 100 {
		t.Fatalf("only %d customers", len(last))
	}
	for cus, l := range last {
		want := l.Truncate(day).Add(day) // first midnight after the last order
		for want.Sub(l) <= 90*day {
			want = want.Add(day)
		}
		if got := atRisk[cus]; len(got) != 1 || !got[0].Equal(want) {
			t.Errorf("customer %s, last order %s: At_Risk at %v, want once at %s", cus, l, got, want)
		}
	}
	if extra := len(atRisk) - len(last); extra != 0 {
		t.Errorf("%d At_Risk customers without a completed order", extra)
	}
	// The last summary: everyone At_Risk.
	rs := sweep(t, e, end.Add(day))
	i := slices.IndexFunc(rs, func(r Result) bool { return r.Counts != nil })
	if i < 0 || rs[i].Counts.Count(SegmentAtRisk) != len(last) || rs[i].Counts.Total != len(last) {
		t.Fatalf("final counts %+v, want %d At_Risk", rs, len(last))
	}
	if j := slices.IndexFunc(rs, func(r Result) bool { return r.Insight.Metric == "at_risk" }); j < 0 ||
		rs[j].Insight.Message != "Warning: 100.0% of customers are at risk of churning." {
		t.Errorf("no churn warning in %+v", rs)
	}
}
