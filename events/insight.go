package events

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// InsightSchemaVersion is the insight contract version.
const InsightSchemaVersion = 1

// Kind says what an insight reports.
type Kind string

// Insight kinds. Consumers must ignore kinds they do not know: more come.
const (
	KindWindowMetrics    Kind = "window.metrics"
	KindWindowCorrection Kind = "window.correction"
	KindAnomalyOpened    Kind = "anomaly.opened"
	KindAnomalyEscalated Kind = "anomaly.escalated"
	KindAnomalyResolved  Kind = "anomaly.resolved"
)

// Severity ranks an insight for alerting.
type Severity string

// Severities, lowest first.
const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// Window identifies a time window: [Start, End) with a size label such as
// "1m", "5m", "1h" or "1d".
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Size  string    `json:"size"`
}

// Band is the expected range of a metric.
type Band struct {
	Low  float64 `json:"low"`
	High float64 `json:"high"`
}

// Insight is the output contract, version 1, published to the insights topic
// (anomalies) and the tenant-metrics topic (closed windows).
type Insight struct {
	SchemaVersion int       `json:"schema_version"`
	InsightID     string    `json:"insight_id"`
	TenantID      string    `json:"tenant_id"`
	Kind          Kind      `json:"kind"`
	Metric        string    `json:"metric,omitempty"`
	Currency      string    `json:"currency,omitempty"`
	Window        Window    `json:"window"`
	Observed      float64   `json:"observed"`
	Expected      float64   `json:"expected"`
	Band          Band      `json:"band"`
	Score         float64   `json:"score"`
	Severity      Severity  `json:"severity"`
	Method        string    `json:"method,omitempty"`
	History       int       `json:"history"`
	Message       string    `json:"message"`
	GeneratedAt   time.Time `json:"generated_at"`
	Revision      int       `json:"revision"`
	// IncidentID links the anomaly.* insights of one incident.
	IncidentID string `json:"incident_id,omitempty"`
	// Confidence in [0, 1]: min(1, points/30 × completeness), from the data
	// points behind the insight and the share of expected periods that had
	// data. Exact window figures have confidence 1.
	Confidence float64 `json:"confidence"`
	// Subject names what an insight is about below the tenant, for example
	// the customer id of a customer.segment_changed insight.
	Subject string `json:"subject,omitempty"`
	// Metrics carries the exact window figures on window.metrics and
	// window.correction insights.
	Metrics *WindowMetrics `json:"metrics,omitempty"`
}

// Attributes are the Pub/Sub attributes of an insight, for subscription
// filters.
func (in *Insight) Attributes() map[string]string {
	a := map[string]string{
		"tenant_id": in.TenantID,
		"kind":      string(in.Kind),
		"severity":  string(in.Severity),
	}
	if in.Metric != "" {
		a["metric"] = in.Metric
	}
	return a
}

// InsightID derives the deterministic id of an insight from what makes it
// unique, so a re-publish after a crash carries the same id and consumers
// can drop the duplicate.
func InsightID(tenant string, kind Kind, metric, currency string, w Window, revision int) string {
	h := sha256.New()
	var b []byte
	b = append(b, tenant...)
	b = append(b, 0)
	b = append(b, kind...)
	b = append(b, 0)
	b = append(b, metric...)
	b = append(b, 0)
	b = append(b, currency...)
	b = append(b, 0)
	b = strconv.AppendInt(b, w.Start.UnixNano(), 10)
	b = append(b, 0)
	b = append(b, w.Size...)
	b = append(b, 0)
	b = strconv.AppendInt(b, int64(revision), 10)
	h.Write(b)
	return "ins_" + hex.EncodeToString(h.Sum(nil)[:16])
}
