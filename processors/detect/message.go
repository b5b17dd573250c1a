package detect

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// Event is what a message describes: one lifecycle transition.
type Event struct {
	Kind    events.Kind
	Key     Key
	Window  events.Window
	Opened  events.Window // the window that opened the incident
	Score   Score
	Adapted bool // the detector accepted the new level during the incident
}

// Texter writes the one-sentence message of an insight. Swap it for
// localisation; DefaultTexter writes plain English.
type Texter interface {
	Message(e Event) string
}

// Metric names the Monitor uses (and DefaultTexter knows).
const (
	MetricRevenue           = "revenue"
	MetricOrders            = "orders"
	MetricAverageOrderValue = "average_order_value"
	MetricUniqueCustomers   = "unique_customers"
	MetricCancellationRate  = "cancellation_rate"
)

// DefaultTexter writes English sentences a shop owner understands, with
// money in the currency's symbol (or ISO code) and times in Location.
type DefaultTexter struct {
	Location *time.Location
}

// Message implements Texter.
func (t DefaultTexter) Message(e Event) string {
	loc := t.Location
	if loc == nil {
		loc = time.UTC
	}
	s := e.Score
	name, verb := metricLabel(e.Key.Metric)
	val := func(v float64) string { return formatValue(e.Key, v) }
	span := windowSpan(e.Window, loc)
	dir := "above"
	if s.Z < 0 {
		dir = "below"
	}
	usual := fmt.Sprintf("%s (%s ± %s)", usualContext(s, e.Window.Start.In(loc)), val(s.Expected), val(s.Spread))
	switch e.Kind {
	case events.KindAnomalyOpened:
		return fmt.Sprintf("%s %s %s %s, %s standard deviations %s %s.",
			name, span, verb, val(s.Value), sd(s.Z), dir, usual)
	case events.KindAnomalyEscalated:
		return fmt.Sprintf("%s %s %s %s, now %s standard deviations %s %s: escalated to critical.",
			name, span, verb, val(s.Value), sd(s.Z), dir, usual)
	case events.KindAnomalyResolved:
		if e.Adapted {
			return fmt.Sprintf("%s %s %s %s, close to its new level since %s, which Pulse now treats as usual.",
				name, span, verb, val(s.Value), windowSpan(e.Opened, loc))
		}
		return fmt.Sprintf("%s %s %s %s, back within the usual range (%s to %s).",
			name, span, verb, val(s.Value), val(s.Band.Low), val(s.Band.High))
	}
	return fmt.Sprintf("%s %s %s %s.", name, span, verb, val(s.Value))
}

func sd(z float64) string { return strconv.FormatFloat(math.Abs(z), 'f', 1, 64) }

func metricLabel(metric string) (name, verb string) {
	switch metric {
	case MetricRevenue:
		return "Revenue", "was"
	case MetricOrders:
		return "Orders", "were"
	case MetricAverageOrderValue:
		return "Average order value", "was"
	case MetricUniqueCustomers:
		return "Unique customers", "were"
	case MetricCancellationRate:
		return "Cancellation rate", "was"
	}
	return strings.ReplaceAll(metric, "_", " "), "was"
}

// usualContext names the baseline the way a person would: the same hour
// last weeks, the same time of day, or just recently.
func usualContext(s Score, start time.Time) string {
	switch s.Method {
	case methodWeekly:
		return "the usual " + start.Weekday().String() + " " + partOfDay(start)
	case methodDaily:
		return "the usual " + partOfDay(start)
	}
	return fmt.Sprintf("the usual level of the last %d windows", s.History)
}

func partOfDay(t time.Time) string {
	switch h := t.Hour(); {
	case h < 6:
		return "night"
	case h < 12:
		return "morning"
	case h < 18:
		return "afternoon"
	}
	return "evening"
}

// windowSpan renders [Start, End) compactly: "on Tue 7 Jul 14:00-15:00 UTC",
// "on Tue 7 Jul" for a day window.
func windowSpan(w events.Window, loc *time.Location) string {
	s, e := w.Start.In(loc), w.End.In(loc)
	day := s.Format("Mon 2 Jan")
	if !e.After(s) {
		return "on " + day + " " + s.Format("15:04 MST")
	}
	if s.Hour() == 0 && s.Minute() == 0 && e.Sub(s)%(24*time.Hour) == 0 {
		if e.Sub(s) == 24*time.Hour {
			return "on " + day
		}
		return "from " + day + " to " + e.Add(-time.Nanosecond).Format("Mon 2 Jan")
	}
	if e.Sub(s) < 24*time.Hour {
		end := e.Format("15:04")
		if end == "00:00" {
			end = "24:00"
		}
		return "on " + day + " " + s.Format("15:04") + "-" + end + " " + s.Format("MST")
	}
	return "from " + s.Format("Mon 2 Jan 15:04") + " to " + e.Format("Mon 2 Jan 15:04 MST")
}

// formatValue renders a metric value: money for revenue and average order
// value (values are minor units of Key.Currency), a percentage for the
// cancellation rate, else a plain number.
func formatValue(k Key, v float64) string {
	switch k.Metric {
	case MetricRevenue, MetricAverageOrderValue:
		return formatMoney(k.Currency, v)
	case MetricCancellationRate:
		return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return groupThousands(strconv.FormatFloat(v, 'f', 0, 64))
	}
	return groupThousands(strconv.FormatFloat(v, 'f', 1, 64))
}

var currencySymbols = map[string]string{
	"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "CN¥", "INR": "₹",
	"CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "KRW": "₩", "BRL": "R$", "MXN": "MX$",
	"CHF": "CHF ", "SEK": "SEK ", "PLN": "zł ", "ILS": "₪", "TRY": "₺",
}

// formatMoney renders minor units: "$12,400" for amounts of 100 or more
// major units (cents would be noise in a sentence), "$9.95" below.
func formatMoney(currency string, minor float64) string {
	digits, ok := events.MinorDigits(currency)
	if !ok {
		digits = 2
	}
	m := int64(math.Round(minor))
	unit := int64(math.Pow10(digits))
	whole := digits > 0 && (m >= 100*unit || m <= -100*unit)
	if whole {
		m = int64(math.Round(float64(m)/float64(unit))) * unit
	}
	text := events.FormatMinor(m, digits)
	if whole {
		text = text[:len(text)-digits-1]
	}
	neg := strings.HasPrefix(text, "-")
	text = groupThousands(strings.TrimPrefix(text, "-"))
	sym, ok := currencySymbols[currency]
	if !ok {
		sym = currency + " "
	}
	if neg {
		return "-" + sym + text
	}
	return sym + text
}

// groupThousands inserts commas into the integer part of a decimal string.
func groupThousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac := s, ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		intPart, frac = s[:i], s[i:]
	}
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String() + frac
}
