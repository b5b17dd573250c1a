package ask

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// Source is the data Answer reads.
type Source interface {
	// ClosedWindows returns the latest revision of every closed window of
	// the size that lies inside [from, to), all currencies.
	ClosedWindows(tenant, size string, from, to time.Time) []events.Insight
	// Anomalies returns the anomaly.* insights whose window starts in
	// [from, to), oldest first.
	Anomalies(tenant string, from, to time.Time) []events.Insight
}

// coverSizes are the window sizes Answer sums, largest first.
var coverSizes = []struct {
	size string
	d    time.Duration
}{{"1d", 24 * time.Hour}, {"1h", time.Hour}, {"5m", 5 * time.Minute}, {"1m", time.Minute}}

// Figure is one number of an answer.
type Figure struct {
	Metric   string `json:"metric"`
	Period   string `json:"period"`
	Currency string `json:"currency,omitempty"`
	// Value is exact text: money as a decimal in Currency, counts as
	// integers, rates as a fraction.
	Value string `json:"value"`
	// Windows is how many closed windows the figure sums, by size.
	Windows map[string]int `json:"windows,omitempty"`
}

// Result is an answer.
type Result struct {
	Question   string     `json:"question"`
	Understood Understood `json:"understood"`
	// Answer is one sentence with the numbers.
	Answer      string   `json:"answer"`
	Figures     []Figure `json:"figures,omitempty"`
	Suggestions []string `json:"suggestions,omitempty"`
}

// Ask parses and answers a question about tenant.
func Ask(src Source, tenant, question string, now time.Time, cfg Config) Result {
	return Answer(src, tenant, question, Parse(question, now, cfg), cfg)
}

// Answer computes the answer to what Parse understood.
func Answer(src Source, tenant, question string, u Understood, cfg Config) Result {
	r := Result{Question: question, Understood: u}
	switch u.Intent {
	case IntentMetric:
		r.Answer, r.Figures = answerMetric(src, tenant, u)
	case IntentSummary:
		r.Answer, r.Figures = answerSummary(src, tenant, u)
	case IntentAnomalies:
		r.Answer = answerAnomalies(src, tenant, u, cfg.loc())
	case IntentBestDay, IntentWorstDay, IntentBestHour:
		r.Answer, r.Figures = answerBest(src, tenant, u, cfg.loc())
	default:
		r.Answer = "I did not understand the question; try one of the suggestions."
		r.Suggestions = Suggestions()
	}
	return r
}

// total is a period's sum, per currency.
type total struct {
	byCurrency map[string]*events.WindowMetrics
	windows    map[string]int
}

func (t total) empty() bool { return len(t.byCurrency) == 0 }

func (t total) currencies() []string {
	out := make([]string, 0, len(t.byCurrency))
	for c := range t.byCurrency {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// sum covers [p.From, p.To) with closed windows, largest first, never
// counting a span twice.
func sum(src Source, tenant string, p Period) total {
	t := total{byCurrency: map[string]*events.WindowMetrics{}, windows: map[string]int{}}
	type span struct{ from, to time.Time }
	var covered []span
	overlaps := func(from, to time.Time) bool {
		for _, s := range covered {
			if from.Before(s.to) && s.from.Before(to) {
				return true
			}
		}
		return false
	}
	for _, cs := range coverSizes {
		ws := src.ClosedWindows(tenant, cs.size, p.From, p.To)
		var added []span
		seen := map[time.Time]bool{}
		for _, in := range ws {
			if in.Metrics == nil || in.Window.Start.Before(p.From) || in.Window.End.After(p.To) {
				continue
			}
			if overlaps(in.Window.Start, in.Window.End) {
				continue
			}
			m := t.byCurrency[in.Metrics.Currency]
			if m == nil {
				m = &events.WindowMetrics{Currency: in.Metrics.Currency, UniqueCustomersExact: true}
				t.byCurrency[in.Metrics.Currency] = m
			}
			add(m, in.Metrics)
			if !seen[in.Window.Start] {
				seen[in.Window.Start] = true
				t.windows[cs.size]++
				added = append(added, span{in.Window.Start, in.Window.End})
			}
		}
		covered = append(covered, added...)
	}
	if t.windows["1d"]+t.windows["1h"]+t.windows["5m"]+t.windows["1m"] > 1 {
		for _, m := range t.byCurrency {
			m.UniqueCustomersExact = false
		}
	}
	return t
}

func add(dst, src *events.WindowMetrics) {
	dst.Orders += src.Orders
	dst.CompletedOrders += src.CompletedOrders
	dst.CancelledOrders += src.CancelledOrders
	dst.RefundedOrders += src.RefundedOrders
	dst.CompletedRevenue += src.CompletedRevenue
	dst.RefundedAmount += src.RefundedAmount
	dst.Revenue += src.Revenue
	dst.UniqueCustomers += src.UniqueCustomers
	dst.UniqueCustomersExact = dst.UniqueCustomersExact && src.UniqueCustomersExact
	dst.ItemsSold += src.ItemsSold
	dst.LateEvents += src.LateEvents
}

// isMoney reports whether a metric is an amount of a currency.
func isMoney(metric string) bool {
	return metric == MetricRevenue || metric == MetricAverageOrderValue || metric == MetricRefunds
}

// minor returns a money metric in minor units.
func minor(m *events.WindowMetrics, metric string) int64 {
	switch metric {
	case MetricRevenue:
		return m.Revenue
	case MetricAverageOrderValue:
		return m.AverageOrderValue()
	case MetricRefunds:
		return m.RefundedAmount
	}
	return 0
}

// count returns a count metric summed over currencies.
func count(t total, metric string) int64 {
	var n int64
	for _, m := range t.byCurrency {
		switch metric {
		case MetricOrders:
			n += m.Orders
		case MetricCompletedOrders:
			n += m.CompletedOrders
		case MetricCancelledOrders:
			n += m.CancelledOrders
		case MetricUniqueCustomers:
			n += m.UniqueCustomers
		case MetricItemsSold:
			n += m.ItemsSold
		}
	}
	return n
}

func cancelRate(t total) float64 {
	var c, d int64
	for _, m := range t.byCurrency {
		c += m.CancelledOrders
		d += m.CompletedOrders + m.CancelledOrders
	}
	if d == 0 {
		return 0
	}
	return float64(c) / float64(d)
}

func money(v int64, currency string) string {
	d, _ := events.MinorDigits(currency)
	return events.FormatMinor(v, d) + " " + currency
}

// metricName is how an answer names a metric.
func metricName(metric string) string {
	switch metric {
	case MetricAverageOrderValue:
		return "average order value"
	case MetricUniqueCustomers:
		return "unique customers"
	case MetricCancellationRate:
		return "cancellation rate"
	case MetricCompletedOrders:
		return "completed orders"
	case MetricCancelledOrders:
		return "cancelled orders"
	case MetricRefunds:
		return "refunds"
	case MetricItemsSold:
		return "items sold"
	}
	return metric
}

// values renders one metric of a total: one text per currency for money,
// else one text; raw values feed the change computation.
func values(t total, metric string) (texts []string, raw map[string]float64) {
	raw = map[string]float64{}
	switch {
	case isMoney(metric):
		for _, c := range t.currencies() {
			v := minor(t.byCurrency[c], metric)
			texts = append(texts, money(v, c))
			raw[c] = float64(v)
		}
	case metric == MetricCancellationRate:
		r := cancelRate(t)
		texts = append(texts, strconv.FormatFloat(100*r, 'f', 1, 64)+"%")
		raw[""] = r
	default:
		n := count(t, metric)
		texts = append(texts, strconv.FormatInt(n, 10))
		raw[""] = float64(n)
	}
	return texts, raw
}

func figureValue(t total, metric, currency string) string {
	switch {
	case isMoney(metric):
		d, _ := events.MinorDigits(currency)
		return events.FormatMinor(minor(t.byCurrency[currency], metric), d)
	case metric == MetricCancellationRate:
		return strconv.FormatFloat(cancelRate(t), 'f', -1, 64)
	}
	return strconv.FormatInt(count(t, metric), 10)
}

func figures(t total, metric, period string) []Figure {
	if isMoney(metric) {
		var out []Figure
		for _, c := range t.currencies() {
			out = append(out, Figure{Metric: metric, Period: period, Currency: c, Value: figureValue(t, metric, c), Windows: t.windows})
		}
		return out
	}
	return []Figure{{Metric: metric, Period: period, Value: figureValue(t, metric, ""), Windows: t.windows}}
}

// coverage says what a figure was computed from.
func coverage(t total) string {
	var parts []string
	for _, cs := range coverSizes {
		if n := t.windows[cs.size]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, sizeWord(cs.size, n)))
		}
	}
	return strings.Join(parts, " and ")
}

func sizeWord(size string, n int) string {
	w := map[string]string{"1d": "daily", "1h": "hourly", "5m": "5-minute", "1m": "1-minute"}[size] + " window"
	if n != 1 {
		w += "s"
	}
	return w
}

func periodText(p Period) string {
	return p.Label + " (" + p.From.Format("2006-01-02 15:04") + " to " + p.To.Format("2006-01-02 15:04 MST") + ")"
}

func noData(metric string, p Period) string {
	what := "data"
	if metric != "" {
		what = metricName(metric) + " figures"
	}
	return fmt.Sprintf("I have no closed windows for %s, so no %s yet.", periodText(p), what)
}

func answerMetric(src Source, tenant string, u Understood) (string, []Figure) {
	cur := sum(src, tenant, u.Period)
	if cur.empty() {
		return noData(u.Metric, u.Period), nil
	}
	texts, raw := values(cur, u.Metric)
	figs := figures(cur, u.Metric, "period")
	name := metricName(u.Metric)
	note := ""
	if u.Metric == MetricUniqueCustomers && !cur.byCurrency[cur.currencies()[0]].UniqueCustomersExact {
		note = "; customers are counted per window, so one returning in two windows counts twice"
	}
	if u.Compare == nil {
		return fmt.Sprintf("%s %s: %s, from %s%s.", capitalize(name), periodText(u.Period), strings.Join(texts, " and "), coverage(cur), note), figs
	}
	prev := sum(src, tenant, *u.Compare)
	if prev.empty() {
		return fmt.Sprintf("%s %s: %s, from %s; I have no closed windows for %s to compare with%s.",
			capitalize(name), periodText(u.Period), strings.Join(texts, " and "), coverage(cur), periodText(*u.Compare), note), figs
	}
	ptexts, praw := values(prev, u.Metric)
	figs = append(figs, figures(prev, u.Metric, "compare")...)
	var changes []string
	for k, v := range raw {
		if pv, ok := praw[k]; ok {
			changes = append(changes, change(v, pv)+currencySuffix(k))
		}
	}
	sort.Strings(changes)
	chg := ""
	if len(changes) > 0 {
		chg = " (" + strings.Join(changes, ", ") + ")"
	}
	return fmt.Sprintf("%s %s: %s, against %s in %s%s; from %s and %s%s.",
		capitalize(name), periodText(u.Period), strings.Join(texts, " and "), strings.Join(ptexts, " and "),
		periodText(*u.Compare), chg, coverage(cur), coverage(prev), note), figs
}

func currencySuffix(c string) string {
	if c == "" {
		return ""
	}
	return " in " + c
}

// change renders the relative change from prev to cur.
func change(cur, prev float64) string {
	if prev == 0 {
		if cur == 0 {
			return "no change"
		}
		return "up from nothing"
	}
	pct := (cur - prev) / math.Abs(prev) * 100
	switch {
	case math.Abs(pct) < 0.05:
		return "no change"
	case pct > 0:
		return "up " + strconv.FormatFloat(pct, 'f', 1, 64) + "%"
	}
	return "down " + strconv.FormatFloat(-pct, 'f', 1, 64) + "%"
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

var summaryMetrics = []string{MetricRevenue, MetricOrders, MetricAverageOrderValue, MetricUniqueCustomers}

func answerSummary(src Source, tenant string, u Understood) (string, []Figure) {
	cur := sum(src, tenant, u.Period)
	if cur.empty() {
		return noData("", u.Period), nil
	}
	var parts []string
	var figs []Figure
	for _, m := range summaryMetrics {
		texts, _ := values(cur, m)
		parts = append(parts, metricName(m)+" "+strings.Join(texts, " and "))
		figs = append(figs, figures(cur, m, "period")...)
	}
	s := fmt.Sprintf("%s: %s, from %s", capitalize(periodText(u.Period)), strings.Join(parts, ", "), coverage(cur))
	if u.Compare != nil {
		prev := sum(src, tenant, *u.Compare)
		if !prev.empty() {
			texts, _ := values(prev, MetricRevenue)
			s += fmt.Sprintf("; revenue in %s was %s", periodText(*u.Compare), strings.Join(texts, " and "))
			for _, m := range summaryMetrics {
				figs = append(figs, figures(prev, m, "compare")...)
			}
		}
	}
	return s + ".", figs
}

func answerAnomalies(src Source, tenant string, u Understood, loc *time.Location) string {
	ins := src.Anomalies(tenant, u.Period.From, u.Period.To)
	type inc struct {
		first, last events.Insight
	}
	byID := map[string]*inc{}
	var order []string
	for _, in := range ins {
		id := in.IncidentID
		if id == "" {
			id = in.InsightID
		}
		if c, ok := byID[id]; ok {
			c.last = in
			continue
		}
		byID[id] = &inc{first: in, last: in}
		order = append(order, id)
	}
	if len(order) == 0 {
		return fmt.Sprintf("No anomalies %s.", periodText(u.Period))
	}
	var parts []string
	for i, id := range order {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(order)-3))
			break
		}
		c := byID[id]
		state := "open"
		if c.last.Kind == events.KindAnomalyResolved {
			state = "resolved"
		}
		dir := "above"
		if c.first.Observed < c.first.Expected {
			dir = "below"
		}
		parts = append(parts, fmt.Sprintf("%s %s expected in the %s window at %s (%s, %s)",
			metricName(c.first.Metric), dir, c.first.Window.Size, c.first.Window.Start.In(loc).Format("Mon 15:04"),
			c.first.Severity, state))
	}
	noun := "anomalies"
	if len(order) == 1 {
		noun = "anomaly"
	}
	return fmt.Sprintf("Yes: %d %s %s: %s.", len(order), noun, periodText(u.Period), strings.Join(parts, "; "))
}

// answerBest ranks weekdays (or hours of the day) by their average.
func answerBest(src Source, tenant string, u Understood, loc *time.Location) (string, []Figure) {
	hourly := u.Intent == IntentBestHour
	// One total per day (or hour) of the period, summed like any period.
	type bucket struct {
		sum   map[string]float64 // currency ("" for counts) -> sum
		count int
	}
	buckets := map[int]*bucket{}
	step := func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	if hourly {
		step = func(t time.Time) time.Time { return t.Add(time.Hour) }
	}
	currencyWindows := map[string]int{}
	for from := u.Period.From; from.Before(u.Period.To); from = step(from) {
		to := step(from)
		if to.After(u.Period.To) {
			break
		}
		t := sum(src, tenant, Period{From: from, To: to})
		if t.empty() {
			continue
		}
		key := int(from.In(loc).Weekday())
		if hourly {
			key = from.In(loc).Hour()
		}
		b := buckets[key]
		if b == nil {
			b = &bucket{sum: map[string]float64{}}
			buckets[key] = b
		}
		b.count++
		_, raw := values(t, u.Metric)
		for c, v := range raw {
			b.sum[c] += v
			currencyWindows[c]++
		}
	}
	if len(buckets) == 0 {
		return noData(u.Metric, u.Period), nil
	}
	// Rank in the currency seen most (counts use "").
	cur := ""
	for c, n := range currencyWindows {
		if n > currencyWindows[cur] || (n == currencyWindows[cur] && c < cur) {
			cur = c
		}
	}
	keys := make([]int, 0, len(buckets))
	for k := range buckets {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	best, bestAvg := -1, 0.0
	for _, k := range keys {
		avg := buckets[k].sum[cur] / float64(buckets[k].count)
		worst := u.Intent == IntentWorstDay
		if best < 0 || (!worst && avg > bestAvg) || (worst && avg < bestAvg) {
			best, bestAvg = k, avg
		}
	}
	name := time.Weekday(best).String()
	unit := name
	what := "best day of the week"
	switch u.Intent {
	case IntentWorstDay:
		what = "weakest day of the week"
	case IntentBestHour:
		name = fmt.Sprintf("%02d:00–%02d:00", best, (best+1)%24)
		unit = "hour"
		what = "best hour of the day"
	}
	avgText := formatAverage(bestAvg, u.Metric, cur)
	fig := Figure{Metric: u.Metric, Period: "average per " + strings.ToLower(unit), Currency: cur, Value: avgText}
	return fmt.Sprintf("%s is the %s for %s over %s: on average %s per %s (%d of them with data).",
		name, what, metricName(u.Metric), periodText(u.Period), withCurrency(avgText, cur), strings.ToLower(unit), buckets[best].count), []Figure{fig}
}

// formatAverage renders an average of minor units exactly to the minor
// unit (rounded half away from zero), or a count with one decimal.
func formatAverage(v float64, metric, currency string) string {
	if isMoney(metric) {
		d, _ := events.MinorDigits(currency)
		return events.FormatMinor(int64(math.Round(v)), d)
	}
	if metric == MetricCancellationRate {
		return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func withCurrency(v, c string) string {
	if c == "" {
		return v
	}
	return v + " " + c
}
