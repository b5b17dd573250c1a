package bigquery

import (
	"strconv"
	"time"

	"cloud.google.com/go/bigquery"

	"github.com/olympus-cloud/pulse/events"
)

// Table names.
const (
	TableOrders        = "orders"
	TableTenantMetrics = "tenant_metrics"
	TableInsights      = "insights"
	TablePairs         = "recommendation_pairs"
)

// OrderMeta is what the transport knows about an order event: PublishTime
// (zero: unknown, written as NULL), IngestedAt (when Pulse received the
// message) and MessageID (Pub/Sub message id; empty: NULL).
//
// It is an alias of an unnamed struct on purpose: processors/ may not import
// sinks/, and with the alias it can declare the identical type itself,
//
//	type orderMeta = struct {
//		PublishTime time.Time
//		IngestedAt  time.Time
//		MessageID   string
//	}
//
// and a Writer satisfies its interface directly, with no adapter.
type OrderMeta = struct {
	PublishTime time.Time
	IngestedAt  time.Time
	MessageID   string
}

// Row is one encoded table row, the same for insertAll and NDJSON files.
type Row struct {
	Table    string
	InsertID string // BigQuery's best-effort dedup key: event_id or insight_id
	Day      string // partition day, YYYY-MM-DD (UTC)
	Values   map[string]bigquery.Value
	Size     int // upper estimate of the row's JSON size in an insertAll request
}

// Save implements bigquery.ValueSaver.
func (r *Row) Save() (map[string]bigquery.Value, string, error) {
	return r.Values, r.InsertID, nil
}

const tsLayout = "2006-01-02T15:04:05.999999Z"

// timestamp renders t as a BigQuery TIMESTAMP literal (microseconds, UTC);
// the zero time is NULL.
func timestamp(t time.Time) bigquery.Value {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(tsLayout)
}

func nullable(s string) bigquery.Value {
	if s == "" {
		return nil
	}
	return s
}

// OrderRow encodes a valid order for the orders table. Amounts become exact
// NUMERIC decimal strings in the order's currency.
func OrderRow(o *events.Order, m OrderMeta) Row {
	d, _ := events.MinorDigits(o.Currency)
	items := make([]bigquery.Value, len(o.Items))
	for i, it := range o.Items {
		items[i] = map[string]bigquery.Value{
			"sku":        it.SKU,
			"quantity":   it.Quantity,
			"unit_price": events.FormatMinor(it.UnitPrice, d),
		}
	}
	v := map[string]bigquery.Value{
		"schema_version": events.SchemaVersion,
		"event_id":       o.EventID,
		"event_type":     o.Type.String(),
		"tenant_id":      o.TenantID,
		"order_id":       o.OrderID,
		"customer_id":    nullable(o.CustomerID),
		"status":         nullable(o.Status),
		"total_amount":   events.FormatMinor(o.Amount, d),
		"currency":       o.Currency,
		"occurred_at":    timestamp(o.OccurredAt),
		"items":          items,
		"publish_time":   timestamp(m.PublishTime),
		"ingested_at":    timestamp(m.IngestedAt),
		"message_id":     nullable(m.MessageID),
	}
	return Row{Table: TableOrders, InsertID: o.EventID, Day: day(o.OccurredAt), Values: v, Size: rowSize(o.EventID, v)}
}

// IsMetrics reports whether an insight kind goes to the tenant_metrics
// table (closed windows and their corrections) rather than insights.
func IsMetrics(k events.Kind) bool {
	return k == events.KindWindowMetrics || k == events.KindWindowCorrection
}

// InsightRow encodes an insight for its table: tenant_metrics for
// window.metrics and window.correction (which must carry Metrics), insights
// for every other kind. ingestedAt is when the sink received it.
func InsightRow(in *events.Insight, ingestedAt time.Time) (Row, error) {
	if IsMetrics(in.Kind) {
		return metricsRow(in, ingestedAt)
	}
	v := map[string]bigquery.Value{
		"insight_id":     in.InsightID,
		"schema_version": in.SchemaVersion,
		"tenant_id":      in.TenantID,
		"kind":           string(in.Kind),
		"metric":         nullable(in.Metric),
		"currency":       nullable(in.Currency),
		"window_start":   timestamp(in.Window.Start),
		"window_end":     timestamp(in.Window.End),
		"window_size":    nullable(in.Window.Size),
		"observed":       in.Observed,
		"expected":       in.Expected,
		"band_low":       in.Band.Low,
		"band_high":      in.Band.High,
		"score":          in.Score,
		"severity":       nullable(string(in.Severity)),
		"method":         nullable(in.Method),
		"history":        in.History,
		"message":        nullable(in.Message),
		"generated_at":   timestamp(in.GeneratedAt),
		"revision":       in.Revision,
		"incident_id":    nullable(in.IncidentID),
		"ingested_at":    timestamp(ingestedAt),
	}
	if err := finite(in.InsightID, TableInsights, in.Observed, in.Expected, in.Band.Low, in.Band.High, in.Score); err != nil {
		return Row{}, err
	}
	return Row{Table: TableInsights, InsertID: in.InsightID, Day: day(in.GeneratedAt), Values: v, Size: rowSize(in.InsightID, v)}, nil
}

func metricsRow(in *events.Insight, ingestedAt time.Time) (Row, error) {
	m := in.Metrics
	if m == nil {
		return Row{}, rejected(TableTenantMetrics, in.InsightID, string(in.Kind)+" insight without metrics")
	}
	d, ok := events.MinorDigits(m.Currency)
	if !ok {
		return Row{}, rejected(TableTenantMetrics, in.InsightID, "unknown currency "+strconv.Quote(m.Currency))
	}
	v := map[string]bigquery.Value{
		"insight_id":             in.InsightID,
		"tenant_id":              in.TenantID,
		"kind":                   string(in.Kind),
		"window_start":           timestamp(in.Window.Start),
		"window_end":             timestamp(in.Window.End),
		"window_size":            in.Window.Size,
		"currency":               m.Currency,
		"revision":               in.Revision,
		"orders":                 m.Orders,
		"completed_orders":       m.CompletedOrders,
		"cancelled_orders":       m.CancelledOrders,
		"refunded_orders":        m.RefundedOrders,
		"completed_revenue":      events.FormatMinor(m.CompletedRevenue, d),
		"refunded_amount":        events.FormatMinor(m.RefundedAmount, d),
		"revenue":                events.FormatMinor(m.Revenue, d),
		"average_order_value":    events.FormatMinor(m.AverageOrderValue(), d),
		"unique_customers":       m.UniqueCustomers,
		"unique_customers_exact": m.UniqueCustomersExact,
		"items_sold":             m.ItemsSold,
		"cancellation_rate":      m.CancellationRate(),
		"late_events":            m.LateEvents,
		"generated_at":           timestamp(in.GeneratedAt),
		"ingested_at":            timestamp(ingestedAt),
	}
	return Row{Table: TableTenantMetrics, InsertID: in.InsightID, Day: day(in.Window.Start), Values: v, Size: rowSize(in.InsightID, v)}, nil
}

func day(t time.Time) string {
	if t.IsZero() {
		return "1970-01-01"
	}
	return t.UTC().Format(time.DateOnly)
}
