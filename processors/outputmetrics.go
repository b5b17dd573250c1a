package processors

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/olympus-cloud/pulse/events"
)

// publish and writeRow are the two delivery steps, counting their failures.
func (o *Outputs) publish(ctx context.Context, in events.Insight) error {
	err := o.pub.Publish(ctx, in)
	if err != nil {
		o.publishErrors.Add(1)
	}
	return err
}

func (o *Outputs) writeRow(ctx context.Context, in events.Insight) error {
	err := o.rows.WriteInsight(ctx, in)
	if err != nil {
		o.rowErrors.Add(1)
	}
	return err
}

var (
	descInsightsPublished = prometheus.NewDesc("pulse_insights_published_total",
		"Insights delivered to their topic (window results on tenant-metrics, the rest on insights), by kind and severity.", []string{"kind", "severity"}, nil)
	descInsightErrors = prometheus.NewDesc("pulse_insight_delivery_errors_total",
		"Failed tries to deliver an insight, by step (publish to Pub/Sub, row write); each is retried with backoff until shutdown.", []string{"step"}, nil)
	descInsightsLost = prometheus.NewDesc("pulse_insights_lost_total",
		"Insights or their rows still undelivered when shutdown gave up.", nil, nil)
)

// Describe implements prometheus.Collector.
func (o *Outputs) Describe(ch chan<- *prometheus.Desc) {
	ch <- descInsightsPublished
	ch <- descInsightErrors
	ch <- descInsightsLost
}

// Collect implements prometheus.Collector. Kinds and severities are a
// fixed set in the code, so the label pairs are bounded.
func (o *Outputs) Collect(ch chan<- prometheus.Metric) {
	for kind, bySeverity := range o.PublishedBy() {
		for sev, n := range bySeverity {
			ch <- prometheus.MustNewConstMetric(descInsightsPublished, prometheus.CounterValue, float64(n), string(kind), string(sev))
		}
	}
	ch <- prometheus.MustNewConstMetric(descInsightErrors, prometheus.CounterValue, float64(o.publishErrors.Load()), "publish")
	ch <- prometheus.MustNewConstMetric(descInsightErrors, prometheus.CounterValue, float64(o.rowErrors.Load()), "row")
	ch <- prometheus.MustNewConstMetric(descInsightsLost, prometheus.CounterValue, float64(o.Lost.Load()))
}
