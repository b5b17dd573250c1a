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
	descBasketsRead = prometheus.NewDesc("pulse_recommend_baskets_read_total",
		"Basket payloads the lease holders' recommendation models learned from the shared basket log (--state redis).", nil, nil)
	descBasketGaps = prometheus.NewDesc("pulse_recommend_basket_gaps_total",
		"Basket payloads skipped as malformed, or basket logs trimmed past a model's place (baskets possibly lost to it).", nil, nil)
	descModelsLoaded = prometheus.NewDesc("pulse_recommend_models_loaded_total",
		"Saved recommendation models loaded by a replica taking a tenant over.", nil, nil)
	descModelErrors = prometheus.NewDesc("pulse_recommend_model_errors_total",
		"Ticks on which reading the basket logs, loading or saving a shared recommendation model failed.", nil, nil)
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
	ch <- descBasketsRead
	ch <- descBasketGaps
	ch <- descModelsLoaded
	ch <- descModelErrors
}

// Collect implements prometheus.Collector.
func (s *Stats) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descReceived, prometheus.CounterValue, float64(s.Received.Load()))
	ch <- prometheus.MustNewConstMetric(descAcked, prometheus.CounterValue, float64(s.Acked.Load()))
	ch <- prometheus.MustNewConstMetric(descNacked, prometheus.CounterValue, float64(s.Nacked.Load()))
	ch <- prometheus.MustNewConstMetric(descValid, prometheus.CounterValue, float64(s.Valid.Load()))
	ch <- prometheus.MustNewConstMetric(descReplayed, prometheus.CounterValue, float64(s.windowsReplayed.Load()))
	ch <- prometheus.MustNewConstMetric(descLogErrors, prometheus.CounterValue, float64(s.windowLogErrors.Load()))
	ch <- prometheus.MustNewConstMetric(descBasketsRead, prometheus.CounterValue, float64(s.basketsRead.Load()))
	ch <- prometheus.MustNewConstMetric(descBasketGaps, prometheus.CounterValue, float64(s.basketGaps.Load()))
	ch <- prometheus.MustNewConstMetric(descModelsLoaded, prometheus.CounterValue, float64(s.modelsLoaded.Load()))
	ch <- prometheus.MustNewConstMetric(descModelErrors, prometheus.CounterValue, float64(s.modelErrors.Load()))
	byReason := s.DeadLetteredByReason()
	// Every reason is exported from the start, so rate() works on the first
	// occurrence and dashboards list every code.
	for _, r := range events.Reasons {
		ch <- prometheus.MustNewConstMetric(descDeadLettered, prometheus.CounterValue, float64(byReason[r]), string(r))
	}
}
