package ask

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Intent is what a question asks for.
type Intent string

// Intents.
const (
	IntentMetric    Intent = "metric"    // one metric over a period, maybe compared
	IntentSummary   Intent = "summary"   // the headline metrics over a period
	IntentAnomalies Intent = "anomalies" // anomaly insights in a period
	IntentBestDay   Intent = "best_day"  // weekday with the highest average
	IntentWorstDay  Intent = "worst_day" // weekday with the lowest average
	IntentBestHour  Intent = "best_hour" // hour of day with the highest average
	IntentUnknown   Intent = "unknown"   // not understood: see Suggestions
)

// Metrics a question can name. The first five are the detectors' names.
const (
	MetricRevenue           = "revenue"
	MetricOrders            = "orders"
	MetricAverageOrderValue = "average_order_value"
	MetricUniqueCustomers   = "unique_customers"
	MetricCancellationRate  = "cancellation_rate"
	MetricCompletedOrders   = "completed_orders"
	MetricCancelledOrders   = "cancelled_orders"
	MetricRefunds           = "refunded_amount"
	MetricItemsSold         = "items_sold"
)

// Period is [From, To) with the words it was read from.
type Period struct {
	Label string    `json:"label"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
}

// Understood is what Parse read from a question.
type Understood struct {
	Intent Intent `json:"intent"`
	Metric string `json:"metric,omitempty"`
	Period Period `json:"period"`
	// Compare is the period to compare with, when the question asks.
	Compare *Period `json:"compare,omitempty"`
	// Defaulted lists what the question left out and Parse assumed
	// ("period", "metric").
	Defaulted []string `json:"defaulted,omitempty"`
}

// Config tunes parsing. The zero value is usable.
type Config struct {
	// Location is the calendar of "today", weeks and months. Default UTC.
	Location *time.Location
}

func (c Config) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// metricWords maps phrases to metrics, most specific first: the first
// phrase found in the question wins.
var metricWords = []struct{ phrase, metric string }{
	{"average order value", MetricAverageOrderValue},
	{"avg order value", MetricAverageOrderValue},
	{"average order", MetricAverageOrderValue},
	{"average basket", MetricAverageOrderValue},
	{"basket size", MetricAverageOrderValue},
	{"average sale", MetricAverageOrderValue},
	{"aov", MetricAverageOrderValue},
	{"cancellation rate", MetricCancellationRate},
	{"cancel rate", MetricCancellationRate},
	{"cancelled orders", MetricCancelledOrders},
	{"canceled orders", MetricCancelledOrders},
	{"cancellations", MetricCancelledOrders},
	{"cancelled", MetricCancelledOrders},
	{"canceled", MetricCancelledOrders},
	{"completed orders", MetricCompletedOrders},
	{"refunds", MetricRefunds},
	{"refunded", MetricRefunds},
	{"refund", MetricRefunds},
	{"returns", MetricRefunds},
	{"items sold", MetricItemsSold},
	{"units sold", MetricItemsSold},
	{"items", MetricItemsSold},
	{"units", MetricItemsSold},
	{"unique customers", MetricUniqueCustomers},
	{"customers", MetricUniqueCustomers},
	{"customer", MetricUniqueCustomers},
	{"shoppers", MetricUniqueCustomers},
	{"buyers", MetricUniqueCustomers},
	{"orders", MetricOrders},
	{"order count", MetricOrders},
	{"order", MetricOrders},
	{"purchases", MetricOrders},
	{"transactions", MetricOrders},
	{"revenue", MetricRevenue},
	{"sales", MetricRevenue},
	{"turnover", MetricRevenue},
	{"income", MetricRevenue},
	{"takings", MetricRevenue},
	{"earnings", MetricRevenue},
	{"earn", MetricRevenue},
	{"earned", MetricRevenue},
	{"made", MetricRevenue},
	{"make", MetricRevenue},
	{"sell", MetricRevenue},
	{"sold", MetricRevenue},
	{"gmv", MetricRevenue},
	{"money", MetricRevenue},
}

var anomalyWords = []string{"anomaly", "anomalies", "anomalous", "incident", "incidents", "alert", "alerts",
	"unusual", "spike", "spikes", "problem", "problems", "wrong", "weird", "strange", "outlier", "outliers"}

var summaryWords = []string{"analytics", "summary", "overview", "report", "stats", "statistics", "performance",
	"how are we doing", "how did we do", "how was", "how is", "how are", "numbers", "kpis", "kpi", "dashboard"}

var weekdays = map[string]time.Weekday{
	"monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday, "thursday": time.Thursday,
	"friday": time.Friday, "saturday": time.Saturday, "sunday": time.Sunday,
	"mon": time.Monday, "tue": time.Tuesday, "tues": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday,
	"thurs": time.Thursday, "fri": time.Friday, "sat": time.Saturday, "sun": time.Sunday,
}

var numberWords = map[string]int{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
	"nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15, "twenty": 20,
	"thirty": 30, "few": 3, "couple": 2,
}

// compareMarkers split a question into what is asked and what it is
// compared with.
var compareMarkers = []string{" compared to ", " compared with ", " comparing to ", " compare to ", " compare with ",
	" versus ", " vs ", " against ", " than ", " relative to "}

// normalize lower-cases, drops possessives and punctuation, and squeezes
// spaces; the result starts and ends with one space so phrases match on
// word boundaries with " phrase ".
func normalize(q string) string {
	q = strings.ToLower(q)
	q = strings.NewReplacer("’s", "", "'s", "", "’", "", "'", "", "-", " ").Replace(q)
	var b strings.Builder
	b.WriteByte(' ')
	space := true
	for _, r := range q {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == ':' {
			b.WriteRune(r)
			space = false
			continue
		}
		if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	s := b.String()
	if !space {
		s += " "
	}
	// "24h", "7d" and "2w" are the same as their spelled-out forms.
	words := strings.Fields(s)
	for i, w := range words {
		if n := len(w); n > 1 && allDigits(w[:n-1]) {
			switch w[n-1] {
			case 'h':
				words[i] = w[:n-1] + " hours"
			case 'd':
				words[i] = w[:n-1] + " days"
			case 'w':
				words[i] = w[:n-1] + " weeks"
			}
		}
	}
	return " " + strings.Join(words, " ") + " "
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func has(s, phrase string) bool { return strings.Contains(s, " "+phrase+" ") }

func hasAny(s string, phrases []string) bool {
	for _, p := range phrases {
		if has(s, p) {
			return true
		}
	}
	return false
}

// Parse reads a question. It never fails: a question it cannot read has
// Intent IntentUnknown.
func Parse(question string, now time.Time, cfg Config) Understood {
	loc := cfg.loc()
	now = now.In(loc)
	q := normalize(question)
	main, other := q, ""
	for _, m := range compareMarkers {
		if i := strings.Index(q, m); i >= 0 {
			main, other = q[:i]+" ", " "+q[i+len(m):]
			break
		}
	}
	u := Understood{Intent: IntentUnknown}
	period, havePeriod := parsePeriod(main, now)

	metric := ""
	for _, mw := range metricWords {
		if has(main, mw.phrase) {
			metric = mw.metric
			break
		}
	}
	if metric == MetricRevenue && has(main, "how many") && !has(main, "how much") {
		metric = MetricOrders // "how many sales" counts orders
	}
	if metric == "" && has(main, "how many") {
		metric = MetricOrders
	}

	switch {
	case hasAny(main, anomalyWords):
		u.Intent = IntentAnomalies
	case hasAny(main, []string{"best day", "busiest day", "strongest day", "top day", "biggest day", "highest day"}),
		has(main, "day of the week") && !hasAny(main, []string{"worst", "slowest", "quietest", "weakest", "lowest"}),
		has(main, "which day"), has(main, "what day"):
		u.Intent = IntentBestDay
	case hasAny(main, []string{"worst day", "slowest day", "quietest day", "weakest day", "lowest day"}),
		has(main, "day of the week"):
		u.Intent = IntentWorstDay
	case hasAny(main, []string{"best hour", "busiest hour", "peak hour", "busiest time", "peak time", "rush hour",
		"which hour", "what hour", "best time", "time of day"}):
		u.Intent = IntentBestHour
	case hasAny(main, summaryWords) && (metric == "" || has(main, "analytics") || has(main, "report") || has(main, "summary") || has(main, "overview")):
		u.Intent = IntentSummary
		metric = ""
	case metric != "":
		u.Intent = IntentMetric
	case havePeriod:
		u.Intent = IntentSummary
	default:
		return Understood{Intent: IntentUnknown}
	}

	switch u.Intent {
	case IntentBestDay, IntentWorstDay, IntentBestHour:
		if !havePeriod {
			days := 28
			if u.Intent == IntentBestHour {
				days = 7
			}
			period = lastDays(now, days)
			u.Defaulted = append(u.Defaulted, "period")
		}
		if metric == "" || metric == MetricCancellationRate {
			metric = MetricRevenue
			u.Defaulted = append(u.Defaulted, "metric")
		}
	case IntentAnomalies:
		metric = ""
		if !havePeriod {
			period = today(now)
			u.Defaulted = append(u.Defaulted, "period")
		}
	default:
		if !havePeriod {
			period = today(now)
			u.Defaulted = append(u.Defaulted, "period")
		}
	}
	u.Metric = metric

	// A comparison: explicit ("compared to the week before", "vs
	// yesterday") or implied ("week over week", "growth").
	var cmp *Period
	switch {
	case other != "":
		cmp = parseCompare(other, period, now)
	case has(main, "week over week") || has(main, "wow"):
		c := shiftPeriod(period, 0, 0, -7, "the week before")
		cmp = &c
	case has(main, "day over day"):
		c := shiftPeriod(period, 0, 0, -1, "the day before")
		cmp = &c
	case has(main, "month over month") || has(main, "mom"):
		c := shiftPeriod(period, 0, -1, 0, "the month before")
		cmp = &c
	case hasAny(main, []string{"growth", "change", "changed", "trend", "grow", "grew", "up or down", "better or worse"}):
		c := previous(period)
		cmp = &c
	}
	if u.Intent != IntentMetric && u.Intent != IntentSummary {
		cmp = nil
	}
	// A period reaching past now is cut at now; a comparison is cut to the
	// same length so partial periods compare like with like.
	if period.To.After(now) {
		period.To = now
		if cmp != nil && cmp.To.Sub(cmp.From) > period.To.Sub(period.From) {
			cmp.To = cmp.From.Add(period.To.Sub(period.From))
		}
	}
	u.Period = period
	u.Compare = cmp
	return u
}

// parseCompare reads the part after "compared to": a relative phrase ("the
// week before", "the previous period") or a period of its own.
func parseCompare(s string, main Period, now time.Time) *Period {
	var p Period
	switch {
	case hasAny(s, []string{"the week before", "week before", "the previous week", "the prior week", "same day last week", "a week earlier", "the week prior"}):
		p = shiftPeriod(main, 0, 0, -7, "the week before")
	case hasAny(s, []string{"the day before", "day before", "the previous day", "the prior day"}):
		p = shiftPeriod(main, 0, 0, -1, "the day before")
	case hasAny(s, []string{"the month before", "month before", "the previous month", "the prior month"}):
		p = shiftPeriod(main, 0, -1, 0, "the month before")
	case hasAny(s, []string{"the year before", "year before", "the previous year", "last year", "same time last year"}):
		p = shiftPeriod(main, -1, 0, 0, "the year before")
	case hasAny(s, []string{"before", "earlier", "prior", "previous", "previous period", "preceding"}):
		p = previous(main)
	default:
		if abs, ok := parsePeriod(s, now); ok {
			p = abs
		} else {
			p = previous(main)
		}
	}
	return &p
}

// previous is the period of the same length just before p; a calendar
// month's is the previous calendar month.
func previous(p Period) Period {
	if isMonth(p) {
		return shiftPeriod(p, 0, -1, 0, "the month before")
	}
	d := p.To.Sub(p.From)
	return Period{Label: "the period before", From: p.From.Add(-d), To: p.From}
}

func isMonth(p Period) bool {
	return p.From.Day() == 1 && p.From.Hour() == 0 && p.From.Minute() == 0 && p.From.AddDate(0, 1, 0).Equal(p.To)
}

// shiftPeriod moves p by a calendar offset.
func shiftPeriod(p Period, years, months, days int, label string) Period {
	return Period{Label: label, From: p.From.AddDate(years, months, days), To: p.To.AddDate(years, months, days)}
}

func midnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

func today(now time.Time) Period {
	d := midnight(now)
	return Period{Label: "today", From: d, To: d.AddDate(0, 0, 1)}
}

func lastDays(now time.Time, n int) Period {
	d := midnight(now)
	label := "the last " + strconv.Itoa(n) + " days"
	if n == 1 {
		label = "the last day"
	}
	return Period{Label: label, From: d.AddDate(0, 0, -n), To: d}
}

func weekStart(t time.Time) time.Time {
	d := midnight(t)
	back := (int(d.Weekday()) + 6) % 7 // Monday = 0
	return d.AddDate(0, 0, -back)
}

// parsePeriod finds the first period phrase in s.
func parsePeriod(s string, now time.Time) (Period, bool) {
	d := midnight(now)
	words := strings.Fields(s)
	// ISO date: 2026-03-01 is normalized to "2026 03 01".
	for i := 0; i+2 < len(words); i++ {
		if len(words[i]) == 4 && allDigits(words[i]) && allDigits(words[i+1]) && allDigits(words[i+2]) {
			y, _ := strconv.Atoi(words[i])
			m, _ := strconv.Atoi(words[i+1])
			dd, _ := strconv.Atoi(words[i+2])
			if m >= 1 && m <= 12 && dd >= 1 && dd <= 31 {
				from := time.Date(y, time.Month(m), dd, 0, 0, 0, 0, now.Location())
				if from.Day() == dd {
					return Period{Label: from.Format("2006-01-02"), From: from, To: from.AddDate(0, 0, 1)}, true
				}
			}
		}
	}
	switch {
	case has(s, "day before yesterday"):
		return Period{Label: "the day before yesterday", From: d.AddDate(0, 0, -2), To: d.AddDate(0, 0, -1)}, true
	case has(s, "yesterday"):
		return Period{Label: "yesterday", From: d.AddDate(0, 0, -1), To: d}, true
	case has(s, "today"), has(s, "so far"), has(s, "this morning"), has(s, "tonight"):
		return today(now), true
	case has(s, "this hour"):
		h := now.Truncate(time.Hour)
		return Period{Label: "this hour", From: h, To: h.Add(time.Hour)}, true
	case has(s, "this week"), has(s, "week to date"), has(s, "wtd"):
		w := weekStart(now)
		return Period{Label: "this week", From: w, To: w.AddDate(0, 0, 7)}, true
	case has(s, "last week"), has(s, "previous week"):
		w := weekStart(now)
		return Period{Label: "last week", From: w.AddDate(0, 0, -7), To: w}, true
	case has(s, "this month"), has(s, "month to date"), has(s, "mtd"):
		m := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
		return Period{Label: "this month", From: m, To: m.AddDate(0, 1, 0)}, true
	case has(s, "last month"), has(s, "previous month"):
		m := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
		return Period{Label: "last month", From: m.AddDate(0, -1, 0), To: m}, true
	case has(s, "this year"), has(s, "year to date"), has(s, "ytd"):
		y := time.Date(now.Year(), 1, 1, 0, 0, 0, 0, now.Location())
		return Period{Label: "this year", From: y, To: y.AddDate(1, 0, 0)}, true
	case has(s, "this weekend"), has(s, "last weekend"), has(s, "the weekend"), has(s, "weekend"):
		// The most recent Saturday and Sunday that have begun.
		sat := weekStart(now).AddDate(0, 0, 5)
		if sat.After(now) {
			sat = sat.AddDate(0, 0, -7)
		}
		return Period{Label: "the weekend", From: sat, To: sat.AddDate(0, 0, 2)}, true
	}
	// "last|past|previous N units", "N units", "last hour", "past week".
	for i, w := range words {
		unit, ok := periodUnit(w)
		if !ok {
			continue
		}
		n, lead := 1, false
		if i > 0 {
			if v, err := strconv.Atoi(words[i-1]); err == nil && v > 0 && v <= 10000 {
				n, lead = v, true
			} else if v, ok := numberWords[words[i-1]]; ok && (v > 1 || words[i-1] == "one") {
				n, lead = v, true
				if i > 1 && words[i-2] == "twenty" && v < 10 {
					n = 20 + v
				}
			}
		}
		rel := false
		for j := max(0, i-3); j < i; j++ {
			switch words[j] {
			case "last", "past", "previous", "prior", "recent":
				rel = true
			}
		}
		if !rel && !lead {
			continue
		}
		switch unit {
		case "hour":
			h := now.Truncate(time.Hour)
			label := "the last " + strconv.Itoa(n) + " hours"
			if n == 1 {
				label = "the last hour"
			}
			return Period{Label: label, From: h.Add(-time.Duration(n) * time.Hour), To: h}, true
		case "day":
			return lastDays(now, n), true
		case "week":
			if n == 1 && !lead {
				return lastDays(now, 7), true // "past week": the last 7 days
			}
			return lastDays(now, 7*n), true
		case "month":
			if n == 1 && !lead {
				return lastDays(now, 30), true
			}
			m := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location())
			return Period{Label: "the last " + strconv.Itoa(n) + " months", From: m.AddDate(0, -n, 0), To: m}, true
		}
	}
	// Weekdays: the most recent one, today included; "last monday" is
	// strictly before today.
	for i, w := range words {
		wd, ok := weekdays[w]
		if !ok {
			continue
		}
		back := (int(now.Weekday()) - int(wd) + 7) % 7
		if back == 0 && i > 0 && (words[i-1] == "last" || words[i-1] == "previous") {
			back = 7
		}
		from := d.AddDate(0, 0, -back)
		return Period{Label: from.Weekday().String() + " " + from.Format("2006-01-02"), From: from, To: from.AddDate(0, 0, 1)}, true
	}
	return Period{}, false
}

func periodUnit(w string) (string, bool) {
	switch w {
	case "hour", "hours", "hr", "hrs":
		return "hour", true
	case "day", "days":
		return "day", true
	case "week", "weeks":
		return "week", true
	case "month", "months":
		return "month", true
	}
	return "", false
}

// Suggestions are questions Parse understands, offered when it did not
// understand one.
func Suggestions() []string {
	return []string{
		"revenue yesterday",
		"how many orders last week compared to the week before",
		"average order value this month",
		"unique customers in the last 24 hours",
		"any anomalies today?",
		"best day of the week for revenue",
		"show me last month's sales analytics",
	}
}
