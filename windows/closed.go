package windows

import (
	"strconv"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// Reason says why a window's revision was emitted.
type Reason string

// Reasons.
const (
	ReasonWatermark Reason = "watermark" // the watermark passed the end
	ReasonIdle      Reason = "idle"      // the tenant was idle past IdleTimeout
	ReasonFlush     Reason = "flush"     // Flush: end of input or shutdown
	ReasonLate      Reason = "late"      // late events corrected an emitted window
)

// Closed is one revision of one (tenant, window, currency). Revision 1 is
// the first result; late events within the correction horizon publish
// revision n+1 with the full corrected figures (not a delta).
type Closed struct {
	TenantID string
	Window   events.Window
	Metrics  events.WindowMetrics // Metrics.LateEvents: late events so far
	Revision int
	Reason   Reason
}

// Kind is window.metrics for revision 1 and window.correction after.
func (c *Closed) Kind() events.Kind {
	if c.Revision > 1 {
		return events.KindWindowCorrection
	}
	return events.KindWindowMetrics
}

// Insight converts c to its insight event, with the deterministic id of
// (tenant, kind, currency, window, revision): a replay or a re-emission
// after a crash yields the same id.
func (c Closed) Insight(generatedAt time.Time) events.Insight {
	kind := c.Kind()
	m := c.Metrics
	digits, _ := events.MinorDigits(m.Currency)
	msg := c.Window.Size + " window " + c.Window.Start.Format(time.RFC3339) + ": " +
		strconv.FormatInt(m.Orders, 10) + " orders, revenue " + events.FormatMinor(m.Revenue, digits) + " " + m.Currency +
		" (" + string(c.Reason) + ", revision " + strconv.Itoa(c.Revision) + ")"
	return events.Insight{
		SchemaVersion: events.InsightSchemaVersion,
		InsightID:     events.InsightID(c.TenantID, kind, "", m.Currency, c.Window, c.Revision),
		TenantID:      c.TenantID,
		Kind:          kind,
		Currency:      m.Currency,
		Window:        c.Window,
		Severity:      events.SeverityInfo,
		Method:        "window." + string(c.Reason),
		Message:       msg,
		GeneratedAt:   generatedAt.UTC(),
		Revision:      c.Revision,
		Metrics:       &m,
	}
}
