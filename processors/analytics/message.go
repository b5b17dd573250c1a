package analytics

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Sentences are plain English, one per insight, money in the currency's
// symbol; they follow the original platform's wording where it had one.

func subject(metric string) string {
	if metric == MetricOrders {
		return "Orders are"
	}
	return "Revenue is"
}

func signedPercent(f float64) string {
	s := formatPercent(f)
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}

func unitName(size string) string {
	if size == sizeHour {
		return "hour"
	}
	return "day"
}

func trendMessage(t *Trend) string {
	u := unitName(t.Size)
	tail := fmt.Sprintf("%s per %s over the last %d %ss.", signedPercent(t.Growth), u, t.Points, u)
	switch t.Direction {
	case DirectionIncreasing:
		return subject(t.Metric) + " trending upward: " + tail
	case DirectionDecreasing:
		return subject(t.Metric) + " trending downward: " + tail
	}
	return subject(t.Metric) + " stable: " + tail
}

func weeklyMessage(p *WeeklyPattern) string {
	if p.Ratio == 0 {
		return fmt.Sprintf("Strong weekly pattern: %s is the best performing day, and %s has no %s.", p.Best, p.Worst, p.Metric)
	}
	return fmt.Sprintf("Strong weekly pattern: %s is the best performing day, with %s times the %s of %s.",
		p.Best, strconv.FormatFloat(p.Ratio, 'f', 1, 64), p.Metric, p.Worst)
}

func hourName(h int) string { return fmt.Sprintf("%02d:00", h) }

func zoneName(offset int) string {
	if offset == 0 {
		return "UTC"
	}
	return "UTC" + time.Unix(0, 0).In(time.FixedZone("", offset)).Format("-07:00")
}

func listAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func dailyMessage(p *DailyPattern) string {
	hours := make([]string, len(p.Peak))
	for i, h := range p.Peak {
		hours[i] = hourName(h)
	}
	if p.Ratio == 0 {
		return fmt.Sprintf("Strong daily pattern: %s peaks at %s (%s), with none at %s.",
			p.Metric, listAnd(hours), zoneName(p.UTCOffset), hourName(p.Worst))
	}
	return fmt.Sprintf("Strong daily pattern: %s peaks at %s (%s), %s times the quietest hour, %s.",
		p.Metric, listAnd(hours), zoneName(p.UTCOffset), strconv.FormatFloat(p.Ratio, 'f', 1, 64), hourName(p.Worst))
}

func forecastMessage(f *Forecast) string {
	name := "Revenue"
	if f.Metric == MetricOrders {
		name = "Orders"
	}
	v := func(x float64) string { return formatValue(f.Metric, f.Currency, x) }
	return fmt.Sprintf("%s forecast for the next %s: %s (80%% interval %s to %s).",
		name, unitName(f.Target.Size), v(f.Point), v(f.Low80), v(f.High80))
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return formatCount(float64(n)) + " " + many
}

func changeMessage(c *SegmentChange, now time.Time) string {
	days := int64(now.Sub(c.LastOrder) / day)
	from := string(c.From)
	if from == "" {
		from = "no segment"
	}
	return fmt.Sprintf("Customer %s moved from %s to %s: last order %s ago, %s spent over %s.",
		c.CustomerID, from, c.To, plural(max(days, 0), "day", "days"), formatMoney(c.Currency, float64(c.Spent)), plural(c.Orders, "order", "orders"))
}

func countsMessage(c *SegmentCounts) string {
	parts := make([]string, len(Segments))
	for i, s := range Segments {
		parts[i] = formatCount(float64(c.Counts[i])) + " " + string(s)
	}
	return fmt.Sprintf("Customer segments: %s (%s).", listAnd(parts), plural(int64(c.Total), "customer", "customers"))
}
