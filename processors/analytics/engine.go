package analytics

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// Window sizes the Engine reads; others are ignored.
const (
	sizeHour = "1h"
	sizeDay  = "1d"
)

const (
	hourSec = 3600
	daySec  = 86400
	hourIdx = 0
	dayIdx  = 1
)

// Stats count what an Engine did, for metrics and logs.
type Stats struct {
	Windows         int64 // windows that advanced a series
	Corrections     int64 // windows that updated a kept period
	IgnoredWindows  int64 // other sizes, stale or malformed
	Orders          int64 // orders applied to a customer
	DuplicateOrders int64 // redelivered events dropped by event id
	Evicted         int64 // customers evicted by the cap
	Forgotten       int64 // customers dropped by ForgetCustomersAfter
}

// Engine computes the analytics of the tenants one shard owns. It is not
// safe for concurrent use: one goroutine owns it, as a shard owns its
// tenants' windows. Use New.
type Engine struct {
	cfg       Config
	tenants   map[string]*tenantState
	customers CustomerStore
	stats     Stats

	one      [1]*events.Order // ObserveOrder's batch
	ups      []CustomerUpdate
	outs     []CustomerOutcome
	sweepErr error // errors of the current Sweep's visits
}

type tenantState struct {
	id  string
	loc *time.Location // configured zone, or nil
	// offset is the UTC offset in seconds inferred from the latest daily
	// window, used when loc is nil.
	offset int

	cur map[string]*seriesState // by currency

	firstOrder time.Time // earliest completed order known: history depth
	// tally counts the segments of the sweep pass in progress; nil
	// outside a pass.
	tally map[string]*SegmentCounts
}

// seriesState is the analytics state of one (tenant, currency).
type seriesState struct {
	currency string
	s        [2]series                 // hourly, daily
	fc       [2][numMetrics]forecaster // hourly (168), daily (7)
	trendDir [numMetrics]Direction     // last hourly trend direction published
	// trendCand is a new hourly direction waiting out the dwell, for
	// trendRun consecutive fits.
	trendCand [numMetrics]Direction
	trendRun  [numMetrics]int

	hourPatternDay int64 // local day the daily pattern was last computed
	hourPatternSig string
	hourPatternAt  time.Time
	weekSig        string
	weekAt         time.Time
	hasWeek        bool
}

// New returns an Engine for cfg, or cfg's validation errors.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("analytics config: %w", err)
	}
	cfg = cfg.withDefaults()
	e := &Engine{cfg: cfg, tenants: map[string]*tenantState{}, customers: cfg.Customers}
	if e.customers == nil {
		e.customers = NewMemoryCustomers(cfg.MaxCustomersPerTenant)
	}
	return e, nil
}

// Stats returns the counters so far.
func (e *Engine) Stats() Stats { return e.stats }

func (e *Engine) tenant(id string) *tenantState {
	ts := e.tenants[id]
	if ts == nil {
		id = strings.Clone(id) // ids come from decoded payloads: keep only the id
		ts = &tenantState{id: id, loc: e.cfg.Locations[id], cur: map[string]*seriesState{}}
		e.tenants[id] = ts
	}
	return ts
}

func (e *Engine) seriesOf(ts *tenantState, currency string) *seriesState {
	ss := ts.cur[currency]
	if ss == nil {
		h := max(e.cfg.Forecast.HourlyHistory, e.cfg.Trend.HourlyPoints, e.cfg.Pattern.Days*24)
		d := max(e.cfg.Forecast.DailyHistory, e.cfg.Trend.DailyPoints, e.cfg.Pattern.Days)
		currency = strings.Clone(currency)
		ss = &seriesState{currency: currency, s: [2]series{{cap: h}, {cap: d}}, hourPatternDay: math.MinInt64}
		for k := range numMetrics {
			ss.fc[hourIdx][k].m = 168
			ss.fc[dayIdx][k].m = 7
		}
		ts.cur[currency] = ss
	}
	return ss
}

// offsetAt is the tenant's UTC offset in seconds at t.
func (ts *tenantState) offsetAt(t time.Time) int {
	if ts.loc != nil {
		_, off := t.In(ts.loc).Zone()
		return off
	}
	return ts.offset
}

// localDay is the tenant's local day number (days since 1970-01-01) of t.
func (ts *tenantState) localDay(t time.Time) int64 {
	return floorDiv(t.Unix()+int64(ts.offsetAt(t)), daySec)
}

// dayStart is when local day d starts, at the current offset.
func (ts *tenantState) dayStart(d int64) time.Time {
	t := time.Unix(d*daySec, 0).UTC()
	return t.Add(-time.Duration(ts.offsetAt(t)) * time.Second)
}

// inferOffset reads the UTC offset from a calendar-day window, which starts
// at local midnight: a start s seconds after UTC midnight is offset -s when
// s <= 12h, else 24h - s.
func inferOffset(start time.Time) int {
	u := start.Unix()
	s := int(u - floorDiv(u, daySec)*daySec)
	if s <= daySec/2 {
		return -s
	}
	return daySec - s
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func weekdayOf(localDay int64) time.Weekday {
	return time.Weekday((localDay%7 + 7 + 4) % 7) // 1970-01-01 was a Thursday
}

// ObserveWindow takes a closed window's figures of one tenant: hourly ("1h")
// and calendar-day ("1d") windows, every currency; other sizes are ignored.
// A window newer than any seen of its size advances the series and may
// yield trend, seasonality and forecast insights; a repeat or correction of
// a kept window only updates the figures (no insight). now is
// GeneratedAt.
func (e *Engine) ObserveWindow(tenant string, w events.Window, m events.WindowMetrics, now time.Time) []Result {
	var idx int
	switch w.Size {
	case sizeHour:
		idx = hourIdx
	case sizeDay:
		idx = dayIdx
	default:
		e.stats.IgnoredWindows++
		return nil
	}
	if tenant == "" || m.Currency == "" || !w.End.After(w.Start) {
		e.stats.IgnoredWindows++
		return nil
	}
	ts := e.tenant(tenant)
	var p int64
	if idx == hourIdx {
		p = floorDiv(w.Start.Unix(), hourSec)
	} else {
		if ts.loc == nil {
			ts.offset = inferOffset(w.Start)
		}
		p = ts.localDay(w.Start)
	}
	ss := e.seriesOf(ts, m.Currency)
	if !ss.s[idx].put(p, [numMetrics]float64{float64(m.Revenue), float64(m.Orders)}) {
		e.stats.Corrections++
		return nil
	}
	e.stats.Windows++
	var out []Result
	if idx == hourIdx {
		out = e.hourly(ts, ss, p, now, out)
	} else {
		out = e.daily(ts, ss, p, w, now, out)
	}
	return out
}

func (e *Engine) hourly(ts *tenantState, ss *seriesState, p int64, now time.Time, out []Result) []Result {
	s := &ss.s[hourIdx]
	end := time.Unix((p+1)*hourSec, 0).UTC()
	for k := range numMetrics {
		if e.cfg.Trend.NoHourly {
			break
		}
		if r, ok := e.hourlyTrend(ts, ss, k, end, now); ok {
			out = append(out, r)
		}
	}
	// The daily pattern, once a local day, over the latest Pattern.Days.
	if d := ts.localDay(end.Add(-time.Second)); d != ss.hourPatternDay {
		ss.hourPatternDay = d
		if r, ok := e.dailyPattern(ts, ss, end, now); ok {
			out = append(out, r)
		}
	}
	target := events.Window{Start: end, End: end.Add(time.Hour), Size: sizeHour}
	for k := range numMetrics {
		y, obs := s.tail(k, s.cap)
		if r, ok := e.forecast(ts, ss, hourIdx, k, y, obs, target, now); ok {
			out = append(out, r)
		}
	}
	return out
}

func (e *Engine) daily(ts *tenantState, ss *seriesState, p int64, w events.Window, now time.Time, out []Result) []Result {
	s := &ss.s[dayIdx]
	for k := range numMetrics {
		if r, ok := e.trend(ts, ss, dayIdx, k, w.End, now); ok {
			out = append(out, r)
		}
	}
	if r, ok := e.weeklyPattern(ts, ss, p, w.End, now); ok {
		out = append(out, r)
	}
	target := events.Window{Start: w.End, End: w.End.Add(day), Size: sizeDay}
	for k := range numMetrics {
		y, obs := s.tail(k, s.cap)
		if r, ok := e.forecast(ts, ss, dayIdx, k, y, obs, target, now); ok {
			out = append(out, r)
		}
	}
	return out
}

// periodStart is when period p of series idx starts.
func (ts *tenantState) periodStart(idx int, p int64) time.Time {
	if idx == hourIdx {
		return time.Unix(p*hourSec, 0).UTC()
	}
	return ts.dayStart(p)
}

// trend is the daily trend of metric k, published on every daily window.
func (e *Engine) trend(ts *tenantState, ss *seriesState, idx, k int, end, now time.Time) (Result, bool) {
	y, obs := ss.s[idx].tail(k, e.cfg.Trend.DailyPoints)
	if len(y) < e.cfg.Trend.MinPoints {
		return Result{}, false
	}
	return e.trendResult(ts, ss, idx, k, FitTrend(y, e.cfg.Trend.DailyTolerance), obs, end, now, "least_squares"), true
}

// hourlyTrend fits the hourly trend of metric k with the hour of the week
// taken out (FitSeasonalTrend) and returns an insight only when a new
// direction is announced: significant (p < Alpha) and beyond the
// tolerance to leave stable, back to stable only once within half the
// tolerance or no longer significant (hysteresis), and the same new
// direction for HourlyDwell consecutive hours.
func (e *Engine) hourlyTrend(ts *tenantState, ss *seriesState, k int, end, now time.Time) (Result, bool) {
	c := &e.cfg.Trend
	y, obs := ss.s[hourIdx].tail(k, c.HourlyPoints)
	if len(y) < c.HourlyPoints {
		return Result{}, false
	}
	t := FitSeasonalTrend(y, HourlySeason, c.HourlyTolerance, c.Alpha)
	cur, next := ss.trendDir[k], t.Direction
	if next == DirectionStable && t.PValue < c.Alpha &&
		(cur == DirectionIncreasing && t.Growth > c.HourlyTolerance/2 || cur == DirectionDecreasing && t.Growth < -c.HourlyTolerance/2) {
		next = cur
	}
	if next == cur {
		ss.trendRun[k] = 0
		return Result{}, false
	}
	if next != ss.trendCand[k] || ss.trendRun[k] == 0 {
		ss.trendCand[k], ss.trendRun[k] = next, 0
	}
	if ss.trendRun[k]++; ss.trendRun[k] < c.HourlyDwell {
		return Result{}, false
	}
	ss.trendDir[k], ss.trendRun[k] = next, 0
	t.Direction = next
	return e.trendResult(ts, ss, hourIdx, k, t, obs, end, now, "least_squares_hour_of_week"), true
}

func (e *Engine) trendResult(ts *tenantState, ss *seriesState, idx, k int, t Trend, obs int, end, now time.Time, method string) Result {
	s := &ss.s[idx]
	size := sizeHour
	if idx == dayIdx {
		size = sizeDay
	}
	t.Metric, t.Currency, t.Size, t.Observed = metricNames[k], ss.currency, size, obs
	w := events.Window{Start: ts.periodStart(idx, s.last()-int64(t.Points)+1), End: end, Size: size}
	in := newInsight(ts.id, KindTrend, t.Metric, endKey(t.Metric, w), ss.currency, w, now, trendMessage(&t))
	in.Observed, in.Expected, in.Score = t.Slope, t.Mean, t.Growth
	in.Band = events.Band{Low: t.Slope - 1.96*t.SlopeSE, High: t.Slope + 1.96*t.SlopeSE}
	in.Method, in.History = method, t.Points
	return Result{Insight: in, Confidence: Confidence(t.Points, frac(obs, t.Points), e.cfg.ConfidencePoints), Trend: &t}
}

// endKey makes the id of an insight over a lookback unique by its end: while
// a series is shorter than the lookback, successive windows share a start.
func endKey(metric string, w events.Window) string {
	return metric + "/" + strconv.FormatInt(w.End.Unix(), 10)
}

func frac(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (e *Engine) weeklyPattern(ts *tenantState, ss *seriesState, p int64, end, now time.Time) (Result, bool) {
	s := &ss.s[dayIdx]
	y, obs := s.tail(metricRevenue, e.cfg.Pattern.Days)
	wd := make([]time.Weekday, len(y))
	first := s.last() - int64(len(y)) + 1
	for i := range wd {
		wd[i] = weekdayOf(first + int64(i))
	}
	pat, ok := WeeklyPatternOf(y, wd, e.cfg.Pattern.MinPerWeekday, e.cfg.Pattern.Ratio)
	if !ok || !pat.Strong {
		return Result{}, false
	}
	sig := pat.Best.String() + "/" + pat.Worst.String()
	if ss.hasWeek && sig == ss.weekSig && end.Sub(ss.weekAt) < e.cfg.Pattern.Repeat {
		return Result{}, false
	}
	ss.hasWeek, ss.weekSig, ss.weekAt = true, sig, end
	pat.Metric, pat.Currency, pat.Observed = MetricRevenue, ss.currency, obs
	w := events.Window{Start: ts.dayStart(first), End: end, Size: sizeDay}
	in := newInsight(ts.id, KindSeasonality, MetricRevenue, endKey(MetricRevenue, w), ss.currency, w, now, weeklyMessage(&pat))
	var mean float64
	for _, v := range pat.Means {
		mean += v / 7
	}
	in.Observed, in.Expected, in.Score = pat.Means[pat.Best], mean, pat.Ratio
	in.Band = events.Band{Low: pat.Means[pat.Worst], High: pat.Means[pat.Best]}
	in.Method, in.History = "weekday_mean", len(y)
	return Result{Insight: in, Confidence: Confidence(len(y), frac(obs, len(y)), e.cfg.ConfidencePoints), WeeklyPattern: &pat}, true
}

func (e *Engine) dailyPattern(ts *tenantState, ss *seriesState, end, now time.Time) (Result, bool) {
	s := &ss.s[hourIdx]
	y, obs := s.tail(metricRevenue, e.cfg.Pattern.Days*24)
	if len(y) < 7*24 {
		return Result{}, false
	}
	first := s.last() - int64(len(y)) + 1
	off := ts.offsetAt(end)
	hours := make([]int, len(y))
	for i := range hours {
		local := (first+int64(i))*hourSec + int64(off)
		hours[i] = int(floorDiv(local, hourSec) - floorDiv(local, daySec)*24)
	}
	pat, ok := DailyPatternOf(y, hours, e.cfg.Pattern.PeakHours, e.cfg.Pattern.Ratio)
	if !ok || !pat.Strong {
		return Result{}, false
	}
	pat.Metric, pat.Currency, pat.UTCOffset, pat.Observed = MetricRevenue, ss.currency, off, obs
	sig := fmt.Sprint(pat.Peak, pat.Worst, off)
	if ss.hourPatternSig == sig && end.Sub(ss.hourPatternAt) < e.cfg.Pattern.Repeat {
		return Result{}, false
	}
	ss.hourPatternSig, ss.hourPatternAt = sig, end
	w := events.Window{Start: time.Unix(first*hourSec, 0).UTC(), End: end, Size: sizeHour}
	in := newInsight(ts.id, KindSeasonality, MetricRevenue, endKey(MetricRevenue, w), ss.currency, w, now, dailyMessage(&pat))
	var mean float64
	for _, v := range pat.Means {
		mean += v / 24
	}
	in.Observed, in.Expected, in.Score = pat.Means[pat.Best], mean, pat.Ratio
	in.Band = events.Band{Low: pat.Means[pat.Worst], High: pat.Means[pat.Best]}
	in.Method, in.History = "hour_of_day_mean", len(y)
	days := len(y) / 24
	return Result{Insight: in, Confidence: Confidence(days, frac(obs, len(y)), e.cfg.ConfidencePoints), DailyPattern: &pat}, true
}

func (e *Engine) forecast(ts *tenantState, ss *seriesState, idx, k int, y []float64, obs int, target events.Window, now time.Time) (Result, bool) {
	pred, ok := ss.fc[idx][k].predict(y)
	if !ok {
		return Result{}, false
	}
	f := &Forecast{TenantID: ts.id, Metric: metricNames[k], Currency: ss.currency, Target: target,
		Prediction: pred, Completeness: frac(obs, len(y)), GeneratedAt: now}
	in := newInsight(ts.id, KindForecast, f.Metric, f.Metric, ss.currency, target, now, forecastMessage(f))
	in.Observed, in.Expected = y[len(y)-1], pred.Point
	in.Band = events.Band{Low: pred.Low80, High: pred.High80}
	in.Method, in.History = pred.Method, len(y)
	return Result{Insight: in, Confidence: Confidence(len(y), f.Completeness, e.cfg.ConfidencePoints), Forecast: f}, true
}

// ObserveOrder is ObserveOrders of one order.
func (e *Engine) ObserveOrder(o *events.Order, now time.Time) ([]Result, error) {
	e.one[0] = o
	rs, err := e.ObserveOrders(e.one[:], now)
	e.one[0] = nil
	return rs, err
}

// ObserveOrders applies valid order events to their customers' state (one
// CustomerStore call for the batch) and returns a customer.segment_changed
// insight per segment move. Only order.completed (count, spend, last order)
// and order.refunded (spend) of orders with a customer_id count; a refund
// of an unknown customer is ignored. Segments are evaluated at now. Each
// event id is applied once (a customer's latest four ids are remembered).
// An error is the store's: the batch may be partly applied, and applying
// it again is safe.
func (e *Engine) ObserveOrders(batch []*events.Order, now time.Time) ([]Result, error) {
	ups := e.ups[:0]
	for _, o := range batch {
		if o == nil || o.CustomerID == "" || (o.Type != events.OrderCompleted && o.Type != events.OrderRefunded) {
			continue
		}
		digits, ok := events.MinorDigits(o.Currency)
		if !ok {
			continue
		}
		ups = append(ups, CustomerUpdate{Tenant: o.TenantID, Currency: o.Currency, Customer: o.CustomerID,
			EventID: o.EventID, Refund: o.Type == events.OrderRefunded, Amount: o.Amount, At: o.OccurredAt,
			Rules: e.cfg.rules(o.TenantID, o.Currency), Digits: digits, Now: now})
	}
	e.ups = ups
	if len(ups) == 0 {
		return nil, nil
	}
	outs := slices.Grow(e.outs[:0], len(ups))[:len(ups)]
	e.outs = outs
	if err := e.customers.Apply(ups, outs); err != nil {
		return nil, fmt.Errorf("customer state: %w", err)
	}
	var out []Result
	for i := range ups {
		u, r := &ups[i], &outs[i]
		if r.Duplicate {
			e.stats.DuplicateOrders++
			continue
		}
		if !r.Applied {
			continue
		}
		e.stats.Orders++
		e.stats.Evicted += int64(r.Evicted)
		ts := e.tenant(u.Tenant)
		ts.noteFirst(r.FirstOrder)
		if r.From != r.To && (r.From != "" || e.cfg.EmitFirstSegment) {
			out = append(out, e.change(ts, u.Currency, u.Customer, r.After, r.From, r.To, now))
		}
	}
	return out, nil
}

// SharedCustomers reports whether the customer state is a shared store
// (Config.Customers) rather than the Engine's own memory: it dedups on its
// own, so it may be handed orders the windows saw already, and its Sweep
// is incremental, to be called on every tick.
func (e *Engine) SharedCustomers() bool { return e.cfg.Customers != nil }

func (ts *tenantState) noteFirst(t time.Time) {
	if !t.IsZero() && (ts.firstOrder.IsZero() || t.Before(ts.firstOrder)) {
		ts.firstOrder = t
	}
}

// change is the insight of a customer's move between segments.
func (e *Engine) change(ts *tenantState, currency, id string, st CustomerState, from, to Segment, now time.Time) Result {
	ch := &SegmentChange{TenantID: ts.id, CustomerID: id, Currency: currency, From: from, To: to,
		Orders: st.Orders, Spent: st.Spent, LastOrder: st.LastOrder, At: now}
	w := events.Window{Start: now, End: now}
	in := newInsight(ts.id, KindSegmentChanged, "segment", "segment/"+id, currency, w, now, changeMessage(ch, now))
	in.Observed, in.History, in.Method = float64(st.Spent), int(min(st.Orders, 1<<31-1)), "segment_rules"
	in.Subject = id
	return Result{Insight: in, Confidence: e.historyConfidence(ts, now), Change: ch}
}

// historyConfidence rates segment insights by how many days of the
// tenant's orders the engine has seen (complete by construction): a
// "new" customer may be an old one whose history predates Pulse.
func (e *Engine) historyConfidence(ts *tenantState, now time.Time) float64 {
	if ts.firstOrder.IsZero() {
		return 0
	}
	return Confidence(int(now.Sub(ts.firstOrder)/day), 1, e.cfg.ConfidencePoints)
}

// Sweep re-evaluates customers at now: it finds the moves no order causes
// (At_Risk after AtRiskAfter of silence; VIP_Active and High_Value
// lapsing), forgets customers silent past ForgetCustomersAfter, and at the
// end of the first complete pass over a tenant's customers in each
// tenant-local day publishes the tenant's segment counts and the summary
// sentences. With the in-memory store every call is a whole pass, ordered
// by tenant, currency and customer id: call it at least daily (hourly is
// fine); At_Risk is found at most one sweep interval late. A shared store
// sweeps incrementally, only the tenants this replica holds the lease of:
// call it on every tick (see SharedCustomers).
func (e *Engine) Sweep(now time.Time) ([]Result, error) {
	var out []Result
	e.sweepErr = nil
	err := e.customers.Sweep(now, e.cfg.rules, now.Add(-e.cfg.ForgetCustomersAfter), func(v *SweepVisit) {
		out = e.visit(v, now, out)
	})
	if err != nil {
		err = fmt.Errorf("sweep customers: %w", err)
	}
	return out, errors.Join(err, e.sweepErr)
}

func (e *Engine) visit(v *SweepVisit, now time.Time, out []Result) []Result {
	ts := e.tenant(v.Tenant)
	switch v.Kind {
	case VisitStart:
		ts.tally = map[string]*SegmentCounts{}
	case VisitForgotten:
		e.stats.Forgotten += int64(v.Count)
	case VisitCustomer:
		if v.From != v.To {
			out = append(out, e.change(ts, v.Currency, v.Customer, v.State, v.From, v.To, now))
		}
		if ts.tally == nil {
			break // a pass begun before this engine took the tenant: counted from the next
		}
		sc := ts.tally[v.Currency]
		if sc == nil {
			sc = &SegmentCounts{TenantID: ts.id, Currency: v.Currency, At: now}
			ts.tally[v.Currency] = sc
		}
		sc.Counts[slices.Index(Segments, v.To)]++
		sc.Total++
		if v.To == SegmentVIPActive {
			sc.VIPSpent += v.State.Spent
		}
	case VisitEnd:
		ts.noteFirst(v.FirstOrder)
		counts := ts.tally
		ts.tally = nil
		if len(counts) == 0 {
			break
		}
		d := ts.localDay(now)
		ok, err := e.customers.ClaimSummary(ts.id, d)
		if err != nil {
			e.sweepErr = errors.Join(e.sweepErr, fmt.Errorf("claim summary of tenant %s: %w", ts.id, err))
		}
		if !ok {
			break
		}
		currencies := make([]string, 0, len(counts))
		for c := range counts {
			currencies = append(currencies, c)
		}
		slices.Sort(currencies)
		dayW := events.Window{Start: ts.dayStart(d), End: ts.dayStart(d + 1), Size: sizeDay}
		conf := e.historyConfidence(ts, now)
		for _, cur := range currencies {
			sc := counts[cur]
			sc.Day, sc.At = dayW, now
			if n := sc.Count(SegmentVIPActive); n > 0 {
				sc.VIPAverageSpend = sc.VIPSpent / int64(n)
			}
			out = append(out, summary(ts.id, sc, now, conf)...)
		}
	}
	return out
}

// summary is a tenant's daily segment insights in one currency: the counts,
// then the original platform's sentences where they apply.
func summary(tenant string, sc *SegmentCounts, now time.Time, conf float64) []Result {
	mk := func(metric, msg string, observed float64) Result {
		in := newInsight(tenant, KindSegmentsDaily, metric, metric, sc.Currency, sc.Day, now, msg)
		in.Observed, in.History, in.Method = observed, sc.Total, "segment_rules"
		return Result{Insight: in, Confidence: conf}
	}
	r := mk("segments", countsMessage(sc), float64(sc.Total))
	r.Counts = sc
	out := []Result{r}
	if n := sc.Count(SegmentVIPActive); n > 0 {
		out = append(out, mk("vip_active", fmt.Sprintf("You have %s with average spend of %s.",
			plural(int64(n), "VIP customer", "VIP customers"), formatMoney(sc.Currency, float64(sc.VIPAverageSpend))), float64(n)))
	}
	if share := frac(sc.Count(SegmentAtRisk), sc.Total); share > 0.20 {
		r := mk("at_risk", "Warning: "+formatPercent(share)+" of customers are at risk of churning.", share)
		r.Insight.Severity = events.SeverityWarning
		out = append(out, r)
	}
	if n := sc.Count(SegmentNew); n > 0 {
		out = append(out, mk("new_customer", fmt.Sprintf("You have %s - consider follow-up campaigns.",
			plural(int64(n), "new customer", "new customers")), float64(n)))
	}
	return out
}
