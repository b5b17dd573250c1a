// Package detect turns closed windows into anomaly alerts people can trust.
// It is pure code: no I/O, no clock (time and history are arguments), and
// deterministic, so the same detector runs online in the processor, offline
// in backtests and in `pulse detect`.
//
// # Contract
//
// Three layers, each usable alone:
//
//   - Detector scores one series — one (tenant, metric, window size,
//     currency) key — online: Observe(at, value) (ObserveRate(at, k, n) for
//     rates) returns a Score with the expected value, band, spread, signed
//     z-score, method, history used, and whether the point is anomalous and
//     whether it alerts. A point's score depends only on it and earlier
//     points. Then a cleaned copy of the point enters the history.
//   - Lifecycle is the alert state machine of one series: at most one open
//     incident; anomaly.opened on an alert, anomaly.escalated once when
//     |z| reaches Critical, anomaly.resolved when |z| falls below Recovery
//     or the direction flips; then Cooldown points of quiet. Incident ids
//     derive from the series key and the opening window's start; insight ids
//     from events.InsightID (tenant, kind, metric, currency, window,
//     revision), so a re-publish after a crash is a duplicate to drop.
//   - Monitor takes a tenant's closed window (events.Window,
//     events.WindowMetrics, closing time) and returns the insights for all
//     five metrics (revenue, orders, average order value, unique customers,
//     cancellation rate), keeping per-key state inside with an LRU cap.
//
// Nothing here is safe for concurrent use: one goroutine owns a Detector,
// Lifecycle or Monitor (shard tenants across Monitors), so nothing locks.
//
// # Defaults (the zero Config)
//
// Method auto; Threshold 2.5 (warning), Critical 4, Recovery 1.5; Warmup 24
// points; History 64 points; Confirm 2; Cooldown 3 points; AdaptAfter 12;
// MinRelSpread 0.01; seasonal buckets in UTC.
//
// # Methods, and why
//
//   - zscore: mean and standard deviation of the last History cleaned
//     points. The seed design, kept for comparison and for users who want it.
//   - robust (the plain level under auto): median and MAD (or mean absolute
//     deviation when the MAD is 0, as on sparse series) of the last History
//     cleaned points. A few bad points in the history do not move it.
//   - seasonal: additive Holt-Winters-style models, level + profile: hour
//     of day with a day-of-week offset (useful after two days, learns the
//     weekend after one week), and hour of week (useful after two weeks).
//     Each runs in identity units and, for non-negative data, in log(x+c)
//     units, where seasonality is multiplicative and noise grows with the
//     level, as for orders and money. Spread is the robust spread of the
//     model's own out-of-sample residuals.
//   - Model choice (auto): every candidate predicts every point before
//     seeing it; each keeps a week-long exponentially weighted Gaussian
//     log-likelihood of its predictions in the data's units, |z| clipped at
//     4. The best model is used if it beats the plain level by a small
//     penalty (weekly pays more than daily). Likelihood, unlike mean error,
//     rewards a band of the right width, so it picks log units for
//     count-like data and identity units for additive noise.
//   - Counts (Config.Counts, or auto-detected when every value is a
//     non-negative integer): the score is never more extreme than the exact
//     Poisson tail probability at the expected count allows (converted to a
//     normal score). That is what stops 0→2 orders from paging anyone,
//     while large volumes are still judged by the (wider) empirical spread.
//     Rates (ObserveRate) get the same bound from an exact binomial tail.
//   - poisson: the Poisson score alone around the robust or seasonal
//     expectation.
//
// # Trust: what stops false alerts
//
//   - Warm-up: no alert before Warmup points; Score.History says how much
//     history the baseline used.
//   - Confirmation: a point below Critical alerts only as the Confirm-th
//     consecutive point beyond Threshold in one direction (a pending→firing
//     hold); a point at Critical alerts alone. Score.Evidence carries this.
//   - No poisoning: points enter the history clipped to the band edge, and
//     out-of-sample residuals of outliers do not enter the spread.
//   - Level shifts: after AdaptAfter consecutive anomalous points in one
//     direction the detector accepts the new level (every baseline is
//     re-centred on the run's raw values, keeping spread and seasonal
//     shape), so the incident resolves instead of firing for weeks.
//   - Spread floors: at least MinSpread and MinRelSpread×|expected|, so a
//     constant history does not make every wiggle infinite.
//
// # Scores in [0, 1]
//
// Score.AnomalyScore is 1/(1+(Threshold/Evidence)^4): monotone, 0.5 exactly
// at Threshold, so 0.5 or more means the detector alerts on the point;
// during warm-up it stays below 0.5. `pulse detect` writes it.
//
// # Cost
//
// Memory per series at the default History: about 9.6 KiB (measured by
// TestMemoryPerSeries): two rings of History float64s, four seasonal models
// (24 and 168 buckets, each with a History-long residual ring). A Monitor
// group (five metrics) is about 48 KiB. Observe costs about 7.5 µs and no
// allocation on this machine class (BenchmarkObserve).
//
// # Quality
//
// TestQuality generates 24 series × 4 weeks hourly per scenario (seasonal
// Poisson counts and Gaussian-noise revenue, fixed seeds) with injected
// spikes, temporary shifts and persistent level shifts, and asserts recall
// (an alert within the first six points of an anomaly, its only point for a
// spike) and false incidents per series-week, with floors a little under
// the measured figures.
package detect
