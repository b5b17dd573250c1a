package processors

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/olympus-cloud/pulse/events"
)

// Stats is a Prometheus collector: the counters are read at scrape time, so
// the hot path pays one atomic add and nothing else. Per-tenant counts are
// deliberately not exported (unbounded label cardinality).
var (
	descReceived = prometheus.NewDesc("pulse_messages_received_total",
		"Order messages received from Pub/Sub.", nil, nil)
	descAcked = prometheus.NewDesc("pulse_messages_acked_total",
		"Order messages acked after their effects were durable.", nil, nil)
	descNacked = prometheus.NewDesc("pulse_messages_nacked_total",
		"Order messages nacked for redelivery.", nil, nil)
	descValid = prometheus.NewDesc("pulse_events_valid_total",
		"Valid order events applied.", nil, nil)
	descDeadLettered = prometheus.NewDesc("pulse_messages_dead_lettered_total",
		"Messages published to the dead-letter topic, by reason code.", []string{"reason"}, nil)
	descReplayed = prometheus.NewDesc("pulse_window_log_replayed_total",
		"Logged windows replayed into detectors and analytics after another replica scored them (lease handover, restart).", nil, nil)
	descLogErrors = prometheus.NewDesc("pulse_window_log_errors_total",
		"Window log reads or appends that failed (a window scored without catching up, or not logged for the next holder).", nil, nil)
)

// Describe implements prometheus.Collector.
func (s *Stats) Describe(ch chan<- *prometheus.Desc) {
	ch <- descReceived
	ch <- descAcked
	ch <- descNacked
	ch <- descValid
	ch <- descDeadLettered
	ch <- descReplayed
	ch <- descLogErrors
}

// Collect implements prometheus.Collector.
func (s *Stats) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descReceived, prometheus.CounterValue, float64(s.Received.Load()))
	ch <- prometheus.MustNewConstMetric(descAcked, prometheus.CounterValue, float64(s.Acked.Load()))
	ch <- prometheus.MustNewConstMetric(descNacked, prometheus.CounterValue, float64(s.Nacked.Load()))
	ch <- prometheus.MustNewConstMetric(descValid, prometheus.CounterValue, float64(s.Valid.Load()))
	ch <- prometheus.MustNewConstMetric(descReplayed, prometheus.CounterValue, float64(s.windowsReplayed.Load()))
	ch <- prometheus.MustNewConstMetric(descLogErrors, prometheus.CounterValue, float64(s.windowLogErrors.Load()))
	byReason := s.DeadLetteredByReason()
	// Every reason is exported from the start, so rate() works on the first
	// occurrence and dashboards list every code.
	for _, r := range events.Reasons {
		ch <- prometheus.MustNewConstMetric(descDeadLettered, prometheus.CounterValue, float64(byReason[r]), string(r))
	}
}
