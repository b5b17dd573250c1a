// Package ask answers plain-language questions about a tenant's metrics,
// periods and insights ("revenue yesterday", "how many orders last week
// compared to the week before", "any anomalies today?", "best day of the
// week for revenue") from Pulse's own data.
//
// Contract: Parse is a deterministic, rule-based parser: the same question
// and the same now always give the same Understood (metric, period,
// comparison, intent). Relative periods resolve against the now argument in
// Config.Location (default UTC; weeks start on Monday; "last N days" means
// the N whole days before today, "last N hours" the N whole hours before the
// current one). A period that reaches past now is cut at now, and its
// comparison period ("the week before", "last week") is cut to the same
// length, so "this week vs last week" compares the week so far with the same
// stretch of last week.
//
// Answer computes the figures from a Source (the API's in-memory History, or
// an offline one built from an NDJSON file by `pulse ask --events`): it sums
// the latest revision of closed windows inside the period, covering it with
// the largest windows first (1d, then 1h, 5m, 1m for what days leave
// uncovered) and says how many windows of which size it used. Money is summed
// in exact integer minor units per currency and printed with
// events.FormatMinor; unique customers over several windows are the sum of
// per-window counts (a customer returning in two windows counts twice), and
// the answer says so. A question it cannot parse is not an error: the result
// has Intent "unknown" and Suggestions of questions it can answer.
//
// Concurrency: Parse and Answer hold no state; Answer is as safe as its
// Source.
package ask
