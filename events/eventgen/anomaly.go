package eventgen

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Anomaly kinds, as written in Label.Kind.
const (
	KindRevenueSpike = "revenue_spike"
	KindOrderDrop    = "order_drop"
	KindAOVShift     = "aov_shift"
)

// Label marks an injected anomaly: during [Start, End) the tenant's Metric
// (named as in events.WindowMetrics' JSON) departs from its usual pattern.
type Label struct {
	Tenant string    `json:"tenant"`
	Metric string    `json:"metric"`
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Kind   string    `json:"kind"`
}

type anomaly struct {
	start, end int64 // ns since epoch
	kind       string
	rate       float64 // multiplies the order rate
	price      float64 // multiplies unit prices
}

var anomalyKinds = []struct {
	kind, metric string
	rate, price  float64
	minLen       time.Duration
	maxLen       time.Duration
}{
	{KindRevenueSpike, "revenue", 4, 1, time.Hour, 4 * time.Hour},
	{KindOrderDrop, "orders", 0.03, 1, time.Hour, 4 * time.Hour},
	{KindAOVShift, "average_order_value", 1, 2.5, 2 * time.Hour, 8 * time.Hour},
}

// minAnomalyOrdersPerDay keeps anomalies off tenants too small for any
// detector to tell them from noise.
const minAnomalyOrdersPerDay = 48

// placeAnomalies draws each eligible tenant's anomalies: a Poisson count,
// after the first day (or fifth of the span), not overlapping each other.
func placeAnomalies(ts []*tenant, cfg *Config, r *rand.Rand) []Label {
	var labels []Label
	start := cfg.Start.UnixNano()
	end := cfg.Start.Add(cfg.Duration).UnixNano()
	warm := start + min(int64(24*time.Hour), int64(cfg.Duration/5))
	mean := cfg.AnomalyRate * float64(cfg.Duration) / float64(7*24*time.Hour)
	for _, t := range ts {
		if t.perDay < minAnomalyOrdersPerDay || mean == 0 {
			continue
		}
		n := poisson(r, mean)
		for range n {
			k := anomalyKinds[r.IntN(len(anomalyKinds))]
			length := int64(k.minLen) + r.Int64N(int64(k.maxLen-k.minLen))
			length -= length % int64(time.Minute)
			if end-length <= warm {
				continue
			}
			a := anomaly{kind: k.kind, rate: k.rate, price: k.price}
			placed := false
			for range 10 {
				a.start = warm + r.Int64N(end-length-warm)
				a.start -= a.start % int64(time.Minute)
				a.end = a.start + length
				if !slices.ContainsFunc(t.anomalies, func(b anomaly) bool { return a.start < b.end && b.start < a.end }) {
					placed = true
					break
				}
			}
			if !placed {
				continue
			}
			t.anomalies = append(t.anomalies, a)
			labels = append(labels, Label{
				Tenant: t.id, Metric: k.metric, Kind: k.kind,
				Start: time.Unix(0, a.start).UTC(), End: time.Unix(0, a.end).UTC(),
			})
		}
	}
	for _, t := range ts {
		slices.SortFunc(t.anomalies, func(a, b anomaly) int { return cmp.Compare(a.start, b.start) })
	}
	slices.SortFunc(labels, func(a, b Label) int { return a.Start.Compare(b.Start) })
	return labels
}

// factors are the rate and price multipliers of the tenant's anomaly at t.
// Arrivals come in time order, so a cursor skips anomalies already over.
func (t *tenant) factors(at int64) (rate, price float64) {
	for t.cursor < len(t.anomalies) && t.anomalies[t.cursor].end <= at {
		t.cursor++
	}
	if t.cursor < len(t.anomalies) {
		if a := &t.anomalies[t.cursor]; a.start <= at {
			return a.rate, a.price
		}
	}
	return 1, 1
}

// poisson draws a Poisson count by inversion; means here are small.
func poisson(r *rand.Rand, mean float64) int {
	l := math.Exp(-mean)
	k, p := 0, r.Float64()
	for p > l && k < 1000 {
		k++
		p *= r.Float64()
	}
	return k
}
