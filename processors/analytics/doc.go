// Package analytics is the business analytics of the original platform,
// computed continuously per tenant: trends, weekly and daily patterns, a
// confidence score, next-hour and next-day forecasts with prediction
// intervals, and customer segments. It has no clock (time is an argument)
// and is deterministic for the same input, so `pulse run` and
// `pulse backtest` get the same results. Its only I/O is the
// CustomerStore, when it is a shared one.
//
// # Contract
//
// An Engine (New(Config)) belongs to one shard goroutine and is not safe for
// concurrent use; it owns the analytics state of the tenants the shard
// owns, except the per-customer state, which is in its CustomerStore
// (Config.Customers: nil is the Engine's own MemoryCustomers). Its inputs:
//
//   - ObserveWindow(tenant, window, metrics, now): every closed hourly ("1h")
//     and calendar-day ("1d") window, each currency; other sizes are ignored.
//     A window newer than any seen advances the series; a re-emission or
//     correction of a kept period updates its figures and publishes nothing.
//     A period with no window (no orders) counts as zero and as unobserved.
//   - ObserveOrders(batch, now), or ObserveOrder(order, now), the batch of
//     one: valid order events, one store call per batch. Only
//     order.completed and order.refunded with a customer_id matter. An
//     error is the store's; the batch may be partly applied and applying
//     it again is safe (dedup by event id), so the caller nacks it.
//   - Sweep(now): with the in-memory store at least daily, hourly is fine;
//     each call is a whole pass. With a shared store (SharedCustomers) on
//     every tick: each call is a bounded step. It finds the segment moves
//     no order causes and publishes the daily segment counts.
//
// Each returns []Result: an events.Insight (kinds below, severity info
// except the churn warning), its Confidence, and the typed figures behind it
// (Trend, WeeklyPattern, DailyPattern, Forecast, SegmentChange,
// SegmentCounts) for BigQuery rows. Insight ids are events.InsightID of
// (tenant, kind, key, currency, window, revision 1), where key is the metric
// plus the window end for trends and patterns, the metric for forecasts and
// daily counts, and "segment/"+customer_id for segment changes. Money in
// Observed/Expected/Band is in minor units, as in package detect.
//
// # Kinds and cadence
//
//   - trend (window size "1d"): on every daily window, revenue and orders
//     over the latest Trend.DailyPoints days (default 14). Least squares
//     (gonum stat.LinearRegression) of value on day index; Growth = slope /
//     |mean| per day; Direction is stable when |Growth| <= 1% (the
//     boundary is stable), else increasing or decreasing. Observed =
//     slope, Expected = mean, Score = growth, Band = slope ± 1.96 standard
//     errors; Trend.PValue is reported.
//   - trend (window size "1h"): only when the direction changes, over the
//     latest Trend.HourlyPoints hours (default 336, at least two weeks).
//     FitSeasonalTrend takes the hour of the week out first (one level per
//     hour of the week; with two weeks the slope is the mean change from
//     the same hour last week, / 168), so the daily and weekly profiles
//     cannot pass for a trend. Increasing or decreasing needs |Growth| >
//     Trend.HourlyTolerance (0.02% per hour) and a significant slope: the
//     two-sided t-test p-value (Student's t, n - 169 degrees of freedom,
//     gonum distuv) below Trend.Alpha (0.001). Back to stable only once
//     within half the tolerance or no longer significant (hysteresis), and
//     a new direction is announced after Trend.HourlyDwell (6) consecutive
//     hours agree. Measured on six weeks of generated traffic without
//     growth: 0.5 announcements per tenant-week, the first "stable" of each
//     metric (a plain 168-hour line: 25 to 29); a +4.8%/day ramp is
//     announced after 4 to 5 days (TestHourlyTrendStationary,
//     TestHourlyTrendRamp).
//   - seasonality (window size "1d"): mean revenue by local weekday over the
//     latest Pattern.Days (28) days, each weekday at least
//     Pattern.MinPerWeekday (2) times. Strong when best > 1.2 × worst
//     (strictly); published when strong and the best/worst pair changes,
//     or every Pattern.Repeat (7 days). Ties go to the earlier weekday,
//     Sunday first.
//   - seasonality (window size "1h"): mean revenue by local hour of day over
//     the same lookback (at least 7 days), the 3 peak hours named; computed
//     once a local day, published under the same rules.
//   - forecast: after each hourly window, revenue and orders of the next
//     hour; after each daily window, of the next local day. Additive
//     Holt-Winters, weekly season (168 hours; 7 days), damped trend, its
//     four rates picked from a fixed grid by least absolute one-step error
//     and refitted once a season; seasonal-naive (same hour last week)
//     stands in between one and two seasons of history. Prediction intervals
//     (80%, 95%) are empirical quantiles of past one-step errors scaled by
//     sqrt(prediction + c), since noise grows with the level (Student's t
//     below 30 errors). Band is the 80% interval.
//   - customer.segment_changed: on each move between segments, from an order
//     or a sweep (first appearance only with Config.EmitFirstSegment).
//   - segments.daily: on the first sweep of each tenant-local day, per
//     currency: the counts ("segments", with SegmentCounts), and the original
//     sentences: "You have N VIP customers with average spend of $X"
//     ("vip_active", when N > 0), "Warning: X% of customers are at risk of
//     churning" ("at_risk", severity warning, when over 20%), "You have N new
//     customers - consider follow-up campaigns" ("new_customer", N > 0).
//
// # Confidence
//
// Confidence(points, completeness) = min(1, points/30 × completeness), the
// original rule, where points are the periods an insight rests on and
// completeness the share of them that had a window (so it equals observed
// periods / 30). Points are days for daily series and for both patterns,
// hours for hourly trends and forecasts. For segment insights points are the
// days of the tenant's orders the engine has seen (completeness 1): a
// "new" customer may be an old one whose history predates Pulse.
//
// # Segments
//
// Per (tenant, currency, customer_id), no personal data: completed orders,
// spent (completed amounts minus refunds, exact minor units) and the event
// time of the last completed order. Rules, first match wins:
//
//	VIP_Active   spent > 1000 and last order at most 30 days ago
//	High_Value   spent > 500  and last order at most 60 days ago
//	At_Risk      last order more than 90 days ago
//	New_Customer exactly one completed order
//	Regular      otherwise
//
// "Over" is strict (exactly 1000.00 is not VIP); "within 30 days" includes
// exactly 30 days; "more than 90 days" excludes exactly 90. Thresholds are
// whole major units, compared as threshold × 10^digits minor units of the
// currency, and can be overridden per tenant, per currency or both
// (Config.SegmentOverrides). A customer paying in two currencies is two
// customers: amounts in different currencies do not add. Ages are measured
// at now. A redelivered event is recognised by the customer's latest four
// event ids; in memory the windows' dedup (by event id, over the dedup
// horizon) has already stopped the others.
//
// # Where customer state lives
//
// The CustomerStore decides dedup, applies the figures and records each
// customer's segment, so each move is reported once by whichever Apply or
// Sweep visit made it. MemoryCustomers (default, `pulse run --state
// memory` and `pulse backtest`) keeps the customers of the tenants its
// shard owns. With several replicas (`pulse run --state redis`) any
// replica may take any order, so the state is in Redis (package
// rediscustomers): one Lua script per ObserveOrders batch dedups (event
// hour sets, then the latest four ids), adds exactly and classifies; the
// sweep of a tenant runs on the holder of its lease shard, incrementally,
// with a compare-and-set per move. Such a shared store is handed every
// order, window duplicates included (WindowState), so an order whose
// customer update failed is applied on redelivery. Both pass the one
// contract, customertest.Run.
//
// # Time zones
//
// Weekdays and hours of day are the tenant's local ones: Config.Locations,
// else the offset read from the tenant's latest calendar-day window (which
// starts at local midnight), else UTC.
//
// # Memory
//
// Per (tenant, currency): 1,344 hourly and 56 daily periods × 2 metrics
// (about 25 KB). Per tenant: at most MaxCustomersPerTenant customers
// (default 100,000, about 150 bytes each in memory, about 280 in Redis);
// past it the oldest last orders are evicted, a sixteenth of the cap at a
// time, and customers silent for ForgetCustomersAfter (two years) are
// dropped at a sweep. Tenants are not forgotten in memory: an Engine's
// memory grows with the tenants its shard has seen (Redis keys expire).
package analytics
