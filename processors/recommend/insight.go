package recommend

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// KindRecommendation is the insight kind of the periodic "bought together"
// announcement.
const KindRecommendation events.Kind = "recommendation"

// MetricBoughtTogether is the Metric of recommendation insights.
const MetricBoughtTogether = "bought_together"

// insightState remembers the insight of the current period, so a second
// call in the same period (a retry after a failed publish) returns the same
// insight with the same id instead of a different or empty one.
type insightState struct {
	start time.Time
	done  bool
	out   []events.Insight
}

// Insights returns tenant's recommendation insight for the period
// (InsightPeriod) that contains now: the strongest pairs with lift of at
// least InsightLift and a guaranteed count of at least MinPairCount that no
// earlier insight announced, best first, at most InsightPairs. It returns
// nil when there is no such pair or the tenant is cold.
//
// Call it once per period per tenant (any time in the period): it marks the
// pairs announced. Calls later in the same period return the same insight;
// the id derives from tenant, kind, metric and period, so a re-publish is a
// duplicate consumers drop.
func (m *Model) Insights(tenant string, now time.Time) []events.Insight {
	t := m.tenants[tenant]
	if t == nil {
		return nil
	}
	start := now.UTC().Truncate(m.cfg.InsightPeriod)
	if t.insight.done && t.insight.start.Equal(start) {
		return slices.Clone(t.insight.out)
	}
	t.insight = insightState{start: start, done: true}
	f := t.clock.factor(now)
	n := t.baskets * f
	if n < m.cfg.MinBaskets {
		return nil
	}
	type found struct {
		rec      Recommendation
		from, to string
		e        *entry[[2]uint64, bool]
	}
	var fresh []found
	t.eachPair(f, m.cfg.MinPairCount, func(p pairStat) {
		if p.e.val {
			return
		}
		na, nb := p.ea.count*f, p.eb.count*f
		lift := p.count * n / (na * nb)
		if lift < m.cfg.InsightLift {
			return
		}
		// Lift is symmetric; read the sentence from the rarer item, whose
		// buyers are the more likely to take the other.
		from, to, nFrom := p.ea.val, p.eb.val, na
		if nb < na || nb == na && p.eb.val < p.ea.val {
			from, to, nFrom = p.eb.val, p.ea.val, nb
		}
		fresh = append(fresh, found{
			rec:  Recommendation{SKU: to, Lift: lift, Confidence: p.count / nFrom, Support: p.count / n, Count: p.count},
			from: from, to: to, e: p.e,
		})
	})
	if len(fresh) == 0 {
		return nil
	}
	slices.SortFunc(fresh, func(x, y found) int {
		if c := byStrength(x.rec, y.rec); c != 0 {
			return c
		}
		return cmp.Compare(x.from, y.from)
	})
	fresh = fresh[:min(len(fresh), m.cfg.InsightPairs)]
	var msg strings.Builder
	for i, p := range fresh {
		p.e.val = true
		if i > 0 {
			msg.WriteString("; ")
		}
		fmt.Fprintf(&msg, "Customers who buy %s also buy %s %.1f times more often than average (%.0f%% of them, %.1f baskets)",
			p.from, p.to, p.rec.Lift, 100*p.rec.Confidence, p.rec.Count)
	}
	w := events.Window{Start: start, End: start.Add(m.cfg.InsightPeriod), Size: sizeLabel(m.cfg.InsightPeriod)}
	top := fresh[0].rec.Lift
	in := events.Insight{
		SchemaVersion: events.InsightSchemaVersion,
		InsightID:     events.InsightID(tenant, KindRecommendation, MetricBoughtTogether, "", w, 0),
		TenantID:      tenant,
		Kind:          KindRecommendation,
		Metric:        MetricBoughtTogether,
		Window:        w,
		Observed:      top,
		Expected:      1,
		Band:          events.Band{Low: 0, High: m.cfg.InsightLift},
		Score:         top,
		Severity:      events.SeverityInfo,
		Method:        "lift",
		History:       int(n),
		Message:       msg.String(),
		GeneratedAt:   now.UTC(),
	}
	t.insight.out = []events.Insight{in}
	return slices.Clone(t.insight.out)
}

// sizeLabel renders a period as the window size labels use: "1d", "6h",
// "15m", else Go's duration text.
func sizeLabel(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}
