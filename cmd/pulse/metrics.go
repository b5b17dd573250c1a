package main

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/olympus-cloud/pulse/sinks/bigquery"
	"github.com/olympus-cloud/pulse/windows"
	"github.com/olympus-cloud/pulse/windows/redisstore"
)

// Metric conventions (README, Operations): names start with pulse_,
// counters end in _total, durations are histograms in _seconds, labels
// take values from fixed sets in the code, never a tenant id.

// register adds collectors to /metrics when the ops server runs.
func (p *pipeline) register(cs ...prometheus.Collector) {
	if p.ops != nil {
		p.ops.registry.MustRegister(cs...)
	}
}

// sinkMetrics is the row sink's bigquery.Observer, exported as
// pulse_sink_*.
type sinkMetrics struct {
	rows    *prometheus.CounterVec
	flush   prometheus.Histogram
	retries prometheus.Counter
}

var _ bigquery.Observer = (*sinkMetrics)(nil)

// newSinkMetrics labels every series with the sink in use: bigquery or
// localfile.
func newSinkMetrics(sink string) *sinkMetrics {
	l := prometheus.Labels{"sink": sink}
	m := &sinkMetrics{
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pulse_sink_rows_total", ConstLabels: l,
			Help: "Rows the row sink finished, by table and outcome: written, rejected (refused for good, dead-lettered) or failed (retries ran out; the message is redelivered)."},
			[]string{"table", "outcome"}),
		flush: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "pulse_sink_flush_duration_seconds", ConstLabels: l,
			Help:    "Time to flush one batch of rows, retries included; the count is the number of batches.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 13)}),
		retries: prometheus.NewCounter(prometheus.CounterOpts{Name: "pulse_sink_retries_total", ConstLabels: l,
			Help: "Insert requests retried after a transient failure."}),
	}
	for _, t := range []string{bigquery.TableOrders, bigquery.TableTenantMetrics, bigquery.TableInsights} {
		for _, o := range bigquery.Outcomes {
			m.rows.WithLabelValues(t, string(o))
		}
	}
	return m
}

// sinkName is the pulse_sink_* "sink" label of the configured row sink.
func (f BigQueryFlags) sinkName() string {
	if f.Project == "" {
		return "localfile"
	}
	return "bigquery"
}

func (m *sinkMetrics) Flushed(took time.Duration) { m.flush.Observe(took.Seconds()) }
func (m *sinkMetrics) Retried()                   { m.retries.Inc() }
func (m *sinkMetrics) Rows(table string, o bigquery.Outcome, n int) {
	m.rows.WithLabelValues(table, string(o)).Add(float64(n))
}

// Describe implements prometheus.Collector.
func (m *sinkMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.rows.Describe(ch)
	m.flush.Describe(ch)
	m.retries.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *sinkMetrics) Collect(ch chan<- prometheus.Metric) {
	m.rows.Collect(ch)
	m.flush.Collect(ch)
	m.retries.Collect(ch)
}

// storeMetrics is the Redis store's redisstore.Observer, exported as
// pulse_state_store_*.
type storeMetrics struct {
	ops     *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

var _ redisstore.Observer = (*storeMetrics)(nil)

func newStoreMetrics() *storeMetrics {
	m := &storeMetrics{
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pulse_state_store_operations_total",
			Help: "Redis state-store operations, by operation and outcome: ok, error, or fenced (a closing write refused because another replica took the lease)."},
			[]string{"op", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "pulse_state_store_operation_duration_seconds",
			Help:    "Duration of Redis state-store operations (round trips included), by operation, whatever the outcome.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 12)},
			[]string{"op"}),
	}
	for _, op := range redisstore.Ops {
		m.ops.WithLabelValues(op, "ok")
		m.ops.WithLabelValues(op, "error")
		m.latency.WithLabelValues(op)
	}
	return m
}

func (m *storeMetrics) ObserveOp(op string, took time.Duration, err error) {
	outcome := "ok"
	switch {
	case errors.Is(err, windows.ErrFenced):
		outcome = "fenced"
	case err != nil:
		outcome = "error"
	}
	m.ops.WithLabelValues(op, outcome).Inc()
	m.latency.WithLabelValues(op).Observe(took.Seconds())
}

// Describe implements prometheus.Collector.
func (m *storeMetrics) Describe(ch chan<- *prometheus.Desc) {
	m.ops.Describe(ch)
	m.latency.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *storeMetrics) Collect(ch chan<- prometheus.Metric) {
	m.ops.Collect(ch)
	m.latency.Collect(ch)
}
