// Package eventgen generates realistic, deterministic order traffic for
// Pulse: the v1 order events of package events, in the order a publisher
// would send them, each message carrying the outcome a decoder must reach.
//
// What it generates, by default (Config's zero value):
//
//   - 20 tenants over one simulated week. Volumes are heavy-tailed: the
//     largest tenant averages 5,000 orders a day, the smallest about 5, on a
//     power law by rank. Most tenants sell in USD, some in EUR, GBP or JPY,
//     and each lives in a time zone that fits its currency.
//   - Daily and weekly seasonality in each tenant's local time (quiet nights,
//     evening peaks; consumer tenants busier at weekends, business tenants
//     quieter), drawn as a non-homogeneous Poisson process by thinning.
//   - Repeat customers: a customer pool per tenant picked with Zipf
//     frequency, 15% guest checkouts with an empty customer_id.
//   - Baskets of 1 to 5 lines from a per-tenant catalogue, prices in exact
//     minor units of the tenant's currency; total_amount is the sum of the
//     lines.
//   - Lifecycles: order.created; then order.completed 1 to 120 minutes later
//     (86%), order.cancelled within hours (9%), or nothing (5%, abandoned);
//     5% of completed orders are refunded 1 to 15 days later, fully or one
//     line (amount never above the total). Events falling after the end of
//     the simulated span are not emitted.
//   - Faults: 1% malformed events covering most events.Reason codes, 2%
//     duplicate deliveries (same payload, same event_id), 5% out-of-order
//     (published seconds to minutes after occurring), 0.5% late (published
//     30 minutes to 36 hours after occurring).
//   - Anomalies, about one per tenant per simulated week for tenants with at
//     least 48 orders a day: a revenue spike (order rate x4), orders dropping
//     to near zero (x0.03), or an average-order-value shift (prices x2.5),
//     each lasting hours, never in the first day, reported by Labels.
//
// Generator.Next returns messages in publish order: PublishAt never
// decreases, and an out-of-order or late event has an OccurredAt earlier
// than its PublishAt. Message.Expect is the events.Reason that
// events.NewDecoder(events.Limits{}).Decode(Payload, Attributes, PublishAt)
// returns, or "" when it decodes to exactly *Message.Order. Expectations
// assume the default events.Limits; a future or too-old timestamp is placed
// far enough (days past the end of the span, 91+ days before publishing)
// that a decoder using the real clock agrees while the generator is paced
// not to run ahead of it.
//
// The same Config (Seed included, and Start or Now) gives byte-identical
// output. Without Start or Now, the span starts at DefaultStart, a fixed
// Monday, so that the zero Config is reproducible; callers that feed a live
// pipeline set Now (and Backfill) so events are recent.
//
// Truth accumulates the exact per-tenant, per-window figures (as
// events.WindowMetrics) that a correct pipeline reports for the generated
// traffic, for BigQuery and windows tests.
//
// Pacer turns simulated publish times into real-time delays (speed-up,
// rate cap, never ahead of the real clock). A Generator, a Truth and a
// Pacer are not safe for concurrent use. Message values are not modified
// after Next returns them; a duplicate shares its original's Payload,
// Attributes and Order.
package eventgen
