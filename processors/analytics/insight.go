package analytics

import (
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// Insight kinds this package adds to events' (consumers ignore kinds they do
// not know).
const (
	KindTrend          events.Kind = "trend"
	KindSeasonality    events.Kind = "seasonality"
	KindForecast       events.Kind = "forecast"
	KindSegmentChanged events.Kind = "customer.segment_changed"
	KindSegmentsDaily  events.Kind = "segments.daily"
)

// Result is one insight with what events.Insight cannot carry yet: its
// confidence, and the typed figures behind it (exactly one of the pointers
// is set, by Kind) for BigQuery rows and `pulse backtest --events`.
type Result struct {
	Insight events.Insight
	// Confidence in [0, 1]: see Confidence. Copy it to Insight.Confidence
	// once events.Insight has the field.
	Confidence float64

	Trend         *Trend         // KindTrend
	WeeklyPattern *WeeklyPattern // KindSeasonality, window size "1d"
	DailyPattern  *DailyPattern  // KindSeasonality, window size "1h"
	Forecast      *Forecast      // KindForecast
	Change        *SegmentChange // KindSegmentChanged
	Counts        *SegmentCounts // KindSegmentsDaily, metric "segments"
}

// Forecast is a next-period forecast of one metric: a BigQuery row.
type Forecast struct {
	TenantID string `json:"tenant_id"`
	Metric   string `json:"metric"`
	Currency string `json:"currency"`
	// Target is the period forecast: the hour or local day after the
	// window just closed.
	Target events.Window `json:"target"`
	Prediction
	// Completeness is the share of the history's periods that had a window.
	Completeness float64   `json:"completeness"`
	GeneratedAt  time.Time `json:"generated_at"`
}

// newInsight fills the fields every analytics insight shares. idKey is what
// makes the insight unique beside kind, currency and window (the metric, or
// the customer for segment changes); revision is always 1.
func newInsight(tenant string, kind events.Kind, metric, idKey, currency string, w events.Window, at time.Time, msg string) events.Insight {
	return events.Insight{
		SchemaVersion: events.InsightSchemaVersion,
		InsightID:     events.InsightID(tenant, kind, idKey, currency, w, 1),
		TenantID:      tenant,
		Kind:          kind,
		Metric:        metric,
		Currency:      currency,
		Window:        w,
		Severity:      events.SeverityInfo,
		Message:       msg,
		GeneratedAt:   at,
		Revision:      1,
	}
}
