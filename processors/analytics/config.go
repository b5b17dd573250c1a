package analytics

import (
	"errors"
	"fmt"
	"time"
)

// Defaults for Config. See doc.go for what each one means.
const (
	DefaultConfidencePoints = 30

	DefaultDailyTrendPoints     = 14
	DefaultHourlyTrendPoints    = 2 * HourlySeason // two weeks
	DefaultDailyTrendTolerance  = 0.01             // ±1% per day is "stable"
	DefaultHourlyTrendTolerance = 0.0002           // ±0.02% per hour (about 0.5% a day) is "stable"
	DefaultTrendAlpha           = 0.001
	DefaultHourlyTrendDwell     = 6
	DefaultMinTrendPoints       = 7

	// HourlySeason is the season taken out of hourly series before their
	// trend is fitted: the hour of the week.
	HourlySeason = 168

	DefaultPatternDays          = 28
	DefaultPatternMinPerWeekday = 2
	DefaultPatternRatio         = 1.2
	DefaultPeakHours            = 3
	DefaultPatternRepeat        = 7 * 24 * time.Hour

	DefaultHourlyHistory = 8 * 168 // hours kept per series: 8 weeks
	DefaultDailyHistory  = 8 * 7   // days kept per series: 8 weeks

	DefaultMaxCustomersPerTenant = 100_000
	DefaultForgetCustomersAfter  = 2 * 365 * 24 * time.Hour

	day = 24 * time.Hour
)

// Config tunes an Engine. The zero value is the documented default; fields
// left zero take their default (see withDefaults).
type Config struct {
	// ConfidencePoints is the number of data points at which a complete
	// series earns full confidence: min(1, points/ConfidencePoints ×
	// completeness). Default 30, the original platform's rule.
	ConfidencePoints int

	Trend    TrendConfig
	Pattern  PatternConfig
	Forecast ForecastConfig

	// Segments are the customer-segment rules for every tenant and
	// currency; SegmentOverrides replace them per tenant, per currency or
	// per (tenant, currency). Zero fields of an override take the value of
	// Segments.
	Segments         SegmentRules
	SegmentOverrides map[SegmentScope]SegmentRules
	// Customers keeps the per-customer state. Nil: the Engine's own
	// MemoryCustomers, capped at MaxCustomersPerTenant. Set it to a store
	// shared by replicas (rediscustomers) when several replicas take one
	// tenant's orders; such a store has its own cap. One store per Engine.
	Customers CustomerStore
	// MaxCustomersPerTenant bounds the customer states one tenant keeps in
	// memory. Past it, the customers with the oldest last order are evicted
	// (one sixteenth of the cap at a time). Default 100,000.
	MaxCustomersPerTenant int
	// ForgetCustomersAfter drops a customer's state at the sweep after it
	// has gone this long without an order: in memory and in a shared store
	// alike. Default two years; at least a day past the longest at-risk
	// horizon (a customer forgotten sooner would never be At_Risk).
	ForgetCustomersAfter time.Duration
	// EmitFirstSegment also publishes customer.segment_changed when a
	// customer is first seen (from no segment to New_Customer). Off by
	// default: new customers are counted in the daily summary instead.
	EmitFirstSegment bool

	// Locations pins a tenant's time zone for weekdays and hours of day.
	// Without it, the zone is inferred from the tenant's calendar-day ("1d")
	// windows, which start at local midnight; before the first one, UTC.
	Locations map[string]*time.Location
}

// TrendConfig says how trends are fitted.
type TrendConfig struct {
	// DailyPoints and HourlyPoints are how many of the latest periods the
	// least-squares line is fitted over. Defaults 14 and 336 (two weeks:
	// an hourly trend needs two of each hour of the week, see
	// FitSeasonalTrend).
	DailyPoints  int
	HourlyPoints int
	// DailyTolerance and HourlyTolerance bound a "stable" trend: |growth
	// per period| <= tolerance. Defaults 0.01 and 0.0002.
	DailyTolerance  float64
	HourlyTolerance float64
	// Alpha is the significance an hourly trend's slope needs (two-sided
	// t-test p-value below it) to be increasing or decreasing. Default 0.001.
	Alpha float64
	// HourlyDwell is how many consecutive hourly fits must agree on a new
	// direction before it is announced. Default 6.
	HourlyDwell int
	// MinPoints is the fewest periods a daily trend is fitted on. Default 7.
	MinPoints int
	// NoHourly turns hourly trend insights off (daily trends are published
	// every day regardless).
	NoHourly bool
}

// PatternConfig says how weekly and daily patterns are found.
type PatternConfig struct {
	// Days is the lookback, in days, of both patterns. Default 28.
	Days int
	// MinPerWeekday is how many of each weekday the weekly pattern needs.
	// Default 2.
	MinPerWeekday int
	// Ratio: a pattern is strong when best > Ratio × worst. Default 1.2.
	Ratio float64
	// PeakHours is how many hours of day the daily pattern names. Default 3.
	PeakHours int
	// Repeat re-publishes an unchanged strong pattern this often. Default 7 days.
	Repeat time.Duration
}

// ForecastConfig says how much history the forecasters keep.
type ForecastConfig struct {
	// HourlyHistory and DailyHistory are the periods kept per series and
	// fitted on. Defaults 8 weeks (1344 hours, 56 days). Holt-Winters needs
	// two seasons (336 hours, 14 days); seasonal-naive stands in from one
	// season plus MinResiduals periods.
	HourlyHistory int
	DailyHistory  int
}

// SegmentScope selects the tenants and currencies an override applies to.
// An empty field matches any. The most specific override wins: (tenant,
// currency), then (tenant, ""), then ("", currency).
type SegmentScope struct {
	Tenant   string
	Currency string
}

func (c Config) withDefaults() Config {
	pos := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	posF := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	pos(&c.ConfidencePoints, DefaultConfidencePoints)
	pos(&c.Trend.DailyPoints, DefaultDailyTrendPoints)
	pos(&c.Trend.HourlyPoints, DefaultHourlyTrendPoints)
	posF(&c.Trend.DailyTolerance, DefaultDailyTrendTolerance)
	posF(&c.Trend.HourlyTolerance, DefaultHourlyTrendTolerance)
	posF(&c.Trend.Alpha, DefaultTrendAlpha)
	pos(&c.Trend.HourlyDwell, DefaultHourlyTrendDwell)
	pos(&c.Trend.MinPoints, DefaultMinTrendPoints)
	pos(&c.Pattern.Days, DefaultPatternDays)
	pos(&c.Pattern.MinPerWeekday, DefaultPatternMinPerWeekday)
	posF(&c.Pattern.Ratio, DefaultPatternRatio)
	pos(&c.Pattern.PeakHours, DefaultPeakHours)
	if c.Pattern.Repeat == 0 {
		c.Pattern.Repeat = DefaultPatternRepeat
	}
	pos(&c.Forecast.HourlyHistory, DefaultHourlyHistory)
	pos(&c.Forecast.DailyHistory, DefaultDailyHistory)
	c.Segments = c.Segments.withDefaults(DefaultSegmentRules)
	pos(&c.MaxCustomersPerTenant, DefaultMaxCustomersPerTenant)
	if c.ForgetCustomersAfter == 0 {
		c.ForgetCustomersAfter = DefaultForgetCustomersAfter
	}
	return c
}

// Validate reports every problem with c (after defaults) at once.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.ConfidencePoints < 1 {
		bad("confidence points %d must be positive", c.ConfidencePoints)
	}
	if c.Trend.MinPoints < 3 {
		bad("trend min points %d must be at least 3", c.Trend.MinPoints)
	}
	if c.Trend.DailyPoints < c.Trend.MinPoints {
		bad("daily trend points %d must be at least min points %d", c.Trend.DailyPoints, c.Trend.MinPoints)
	}
	if c.Trend.HourlyPoints < 2*HourlySeason || c.Trend.HourlyPoints > c.Forecast.HourlyHistory {
		bad("hourly trend points %d not in %d..%d (two weeks to the hourly history)", c.Trend.HourlyPoints, 2*HourlySeason, c.Forecast.HourlyHistory)
	}
	if !(c.Trend.Alpha > 0 && c.Trend.Alpha <= 0.5) {
		bad("trend alpha %g not in (0, 0.5]", c.Trend.Alpha)
	}
	if c.Trend.HourlyDwell < 1 {
		bad("hourly trend dwell %d must be positive", c.Trend.HourlyDwell)
	}
	if !(c.Trend.DailyTolerance > 0 && c.Trend.DailyTolerance < 1) || !(c.Trend.HourlyTolerance > 0 && c.Trend.HourlyTolerance < 1) {
		bad("trend tolerances (daily %g, hourly %g) must be in (0, 1)", c.Trend.DailyTolerance, c.Trend.HourlyTolerance)
	}
	if c.Pattern.Days < 7 {
		bad("pattern days %d must be at least 7", c.Pattern.Days)
	}
	if c.Pattern.MinPerWeekday < 1 || c.Pattern.MinPerWeekday*7 > c.Pattern.Days {
		bad("pattern min per weekday %d must be in 1..days/7", c.Pattern.MinPerWeekday)
	}
	if !(c.Pattern.Ratio >= 1) {
		bad("pattern ratio %g must be at least 1", c.Pattern.Ratio)
	}
	if c.Pattern.PeakHours < 1 || c.Pattern.PeakHours > 12 {
		bad("peak hours %d not in 1..12", c.Pattern.PeakHours)
	}
	if c.Pattern.Repeat < 0 {
		bad("pattern repeat %s must not be negative", c.Pattern.Repeat)
	}
	if c.Forecast.HourlyHistory < 2*168 || c.Forecast.HourlyHistory > 52*168 {
		bad("hourly history %d not in %d..%d (two to 52 weeks)", c.Forecast.HourlyHistory, 2*168, 52*168)
	}
	if c.Forecast.DailyHistory < 14 || c.Forecast.DailyHistory > 3*366 {
		bad("daily history %d not in 14..%d", c.Forecast.DailyHistory, 3*366)
	}
	if err := c.Segments.validate(); err != nil {
		errs = append(errs, fmt.Errorf("segments: %w", err))
	}
	for scope, r := range c.SegmentOverrides {
		if err := r.withDefaults(c.Segments).validate(); err != nil {
			errs = append(errs, fmt.Errorf("segment override %q/%q: %w", scope.Tenant, scope.Currency, err))
		}
	}
	if c.MaxCustomersPerTenant < 1 {
		bad("max customers per tenant %d must be positive", c.MaxCustomersPerTenant)
	}
	if c.ForgetCustomersAfter < 0 {
		bad("forget customers after %s must not be negative", c.ForgetCustomersAfter)
	}
	// A customer must outlive the At_Risk horizon by a day of sweeps, or
	// the move would never be announced and at-risk counts would be empty.
	atRisk := c.Segments.AtRiskAfter
	for _, r := range c.SegmentOverrides {
		atRisk = max(atRisk, r.withDefaults(c.Segments).AtRiskAfter)
	}
	if c.ForgetCustomersAfter > 0 && c.ForgetCustomersAfter < atRisk+day {
		bad("forget customers after %s must be at least a day past the at-risk horizon %s", c.ForgetCustomersAfter, atRisk)
	}
	for t, loc := range c.Locations {
		if loc == nil {
			bad("location of tenant %q is nil", t)
		}
	}
	return errors.Join(errs...)
}

// rules returns the segment rules for (tenant, currency).
func (c *Config) rules(tenant, currency string) SegmentRules {
	for _, s := range [...]SegmentScope{{tenant, currency}, {tenant, ""}, {"", currency}} {
		if r, ok := c.SegmentOverrides[s]; ok {
			return r.withDefaults(c.Segments)
		}
	}
	return c.Segments
}
