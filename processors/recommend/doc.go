// Package recommend learns "bought together" associations per tenant from
// the order stream, in bounded memory, and answers "what is bought with
// SKU" with lift, confidence and support.
//
// # Definitions
//
// A basket is the set of distinct SKUs of one completed order (quantities
// do not matter), at most MaxBasket of them in line order (default 20: at
// most 190 pair updates per order; further SKUs are ignored and the basket
// counted in Stats.Truncated). With N the decayed number of baskets, n(a)
// the decayed number holding a, and n(a,b) the decayed number holding both:
//
//	support(a,b)    = n(a,b) / N
//	confidence(a→b) = n(a,b) / n(a)
//	lift(a,b)       = confidence(a→b) / (n(b)/N) = n(a,b)·N / (n(a)·n(b))
//
// Lift 1 is chance; only items with lift above 1 are recommended, best lift
// first (then count, then SKU).
//
// # Decay
//
// A basket completed at t weighs 2^(-(now-t)/HalfLife) at now (default
// half-life 30 days; negative disables decay). Counts are stored scaled to a
// per-tenant reference epoch, so an update costs no decay work; reading
// multiplies by one factor, and the counts are rescaled once the reference
// is 32 half-lives old. Ratios do not depend on now; counts and the
// cold-start thresholds do.
//
// # Refunds and redelivery
//
// A tenant remembers the baskets (SKU hashes and completion time) of its
// last RefundMemory completed orders (default 16,384). A refund of a
// remembered order removes exactly what its completion added, at the
// completion's weight: the lines the refund lists (all of them when it lists
// none), every pair with one of those lines, and the basket from N once no
// line is left. A completion of an order still remembered is a redelivery
// and is not counted again; a refund of lines already refunded does nothing.
// A refund of a forgotten order is undone from its own items, as a whole
// basket, at the refund's weight (Stats.RefundsApprox); this over-removes by
// the factor 2^((refund-completion)/HalfLife) (at most 1.41 for a refund 15
// days later at the default half-life; counts never go below zero), and a
// partial refund also removes its basket from N. A refund of a forgotten
// order without items is ignored (Stats.RefundsIgnored). Size RefundMemory
// to cover a tenant's orders over its refund window to stay exact.
//
// # Bounded memory and its error
//
// Per tenant, items (n(a)) and pairs (n(a,b)) are each kept in a weighted
// SpaceSaving heavy-hitter summary of fixed capacity (ItemCapacity, default
// 5,000; PairCapacity, default 20,000). SKUs are keyed by a 64-bit seeded
// hash (a collision among a million SKUs has probability about 3·10⁻⁸).
// With W the total weight ever added to a summary (decayed like the counts;
// refunds do not lower it) and k its capacity:
//
//   - a tracked key's estimate e and error ε satisfy e-ε ≤ true ≤ e, with
//     ε ≤ W/k;
//   - an untracked key's true count is at most W/k, so every key with more
//     than W/k is tracked.
//
// Subtracting weight that really was added (exact refunds) keeps both
// bounds; approximate refunds may push a count below its true value.
// Reported pair counts are the guaranteed e-ε, and confidence and lift use
// the item estimates e (upper bounds), so every figure is conservative and
// exact while the summaries are not full (ε = 0). Result.PairErrorBound
// reports W/k. A pair whose item is not tracked is not scored.
//
// The summaries and the remembered baskets index their entries with
// fixed-size open-addressing tables (no tombstones), not Go maps, whose
// tables grow under endless evict-and-insert churn. Memory per tenant is
// therefore at most Config.MemoryBound(skuLen) bytes, whatever the
// catalogue: 6.6 MB at the defaults for SKUs up to 16 bytes, 7.8 MB for
// 256-byte SKUs. TestMemoryBound1MSKUs measures a tenant with a million-SKU
// catalogue at 4.4 MB, flat from 100,000 to 500,000 orders. The number of
// tenants is not bounded here; tenants are sharded across models.
//
// # Cold start
//
// A query says why instead of guessing (Result.ColdStart): the tenant has
// fewer than MinBaskets decayed baskets (default 30), the SKU is in fewer
// than MinItemCount guaranteed baskets (default 5), or no partner has a
// guaranteed co-occurrence of MinPairCount (default 3) with lift above 1.
//
// # Concurrency
//
// A Model is not safe for concurrent use: one goroutine (the tenant shard's
// worker) owns it and calls Observe, Insights and Pairs. Readers on other
// goroutines (HTTP) query a Snapshot, an immutable view the owner builds
// with Model.Snapshot and publishes to a Registry (one snapshot per
// tenant; a later one replaces it, an earlier one never does). The owner
// learns which tenants to republish from Model.TakeChanged. A snapshot
// costs O(PairCapacity) to build (about 2 ms for a full tenant at the
// defaults, BenchmarkSnapshot) and holds the tenant's tracked items and
// scorable pairs. Snapshot.RecommendAt decays its counts on to the query's
// instant, which is exactly the model's answer then had no order arrived
// since: decay multiplies every count by the same factor.
//
// # Outputs
//
// Model.Insights returns one KindRecommendation insight per tenant and
// InsightPeriod listing the strongest pairs not announced before; its id is
// deterministic. Model.Pairs returns PairRow values for the BigQuery table
// recommendation_pairs (sinks/bigquery/schema/recommendation_pairs.json);
// pulse run writes them at each tenant's insight tick.
//
// # Several replicas (pulse run --state redis): a known limitation
//
// The model lives in the memory of each shard of each replica; nothing of
// it is in Redis. With R replicas on one subscription, a replica's model
// learns only the completions and refunds Pub/Sub delivered to it (the
// windows' shared dedup in Redis still keeps a redelivery from being
// learned twice, on any replica). Precisely:
//
//   - Each basket is one message, so a pair is never split between
//     replicas: a replica sees a sample of whole baskets, and confidence,
//     support and lift are estimates from that sample, unbiased when the
//     split is blind to content but noisier (about √R times the standard
//     error for the same traffic).
//   - Counts (N, n(a), n(a,b)) are each replica's share, about 1/R of the
//     tenant's, so the cold-start thresholds (MinBaskets, MinItemCount,
//     MinPairCount) are reached about R times later, and pairs with fewer
//     than R·MinPairCount baskets may never be recommended.
//   - /recommendations answers from the replica the request reaches: two
//     requests may get different figures, or one a cold start.
//   - Only the replica holding a tenant's closing lease announces its
//     recommendation insight and writes its recommendation_pairs rows
//     (processors.WindowState), so one insight per id reaches consumers,
//     but it is drawn from that replica's share of the baskets.
//   - A refund delivered to another replica than its completion is a
//     forgotten order there: it is undone approximately, from its own
//     lines (or ignored without lines), while the completing replica keeps
//     the basket. Counts drift up on one replica and down on another.
//   - A replica (any mode) starts empty after a restart: the model is not
//     persisted and warm start does not rebuild it.
//
// A shared variant would keep, per tenant in Redis, forward-decayed
// counters (weights 2^((t-ref)/HalfLife) against a per-tenant reference,
// as here) for N, items and pairs, added by one Lua script per batch of
// orders with the windows' dedup, and trimmed to ItemCapacity and
// PairCapacity by a sorted set of counts (evicting the smallest, whose
// count becomes the newcomer's error, as in SpaceSaving); each replica
// would then build its Snapshots from Redis on the publish period instead
// of from its own sketch, behind a small interface (Observe a batch,
// Snapshot a tenant, Pairs of a tenant). It is not built: a basket of
// MaxBasket SKUs is up to 190 pair updates, so its cost and the exact
// refund semantics need measuring against real Redis first.
//
// The package is pure: no I/O, no clock (time is an argument), and
// deterministic output for the same input.
package recommend
