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
// 5,000; PairCapacity, default 20,000). SKUs are keyed by a 64-bit hash
// seeded per tenant (a collision among a million SKUs has probability
// about 3·10⁻⁸).
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
// # Moving a tenant between models
//
// A tenant's state encodes exactly (Model.AppendTenant) and loads into
// another model (Model.LoadTenant) that then gives identical answers and
// evolves identically: the tenant's hash seed (SKUs and orders are keyed
// by xxhash64 seeded per tenant, random at the tenant's start), the
// reference epoch, N, both summaries entry by entry with their heap
// positions (so equal counts are evicted in the same order), the
// remembered baskets oldest first, the announced pairs and the current
// period's insight. A model with the same half-life and capacities at
// least the record's loads it (a smaller RefundMemory forgets the oldest
// baskets); anything else is ErrBadState and changes nothing. About 1.6 MB
// for a tenant that fills the default summaries and refund memory.
//
// What Observe needs of an order travels as a basket payload
// (Model.AppendBasket, Model.ObserveBasket): its type, time, order id and
// distinct SKUs in line order (MaxBasket+1 of a completion, 100 of a
// refund), a few dozen bytes; nothing for an order that teaches the model
// nothing (other types, a completion without items), and no allocation
// beyond the caller's buffer. Both decoders are fuzzed.
//
// # Several replicas (pulse run --state redis)
//
// The replicas share one model per tenant (processors.SharedModels,
// on by default): every order event's basket payload goes into the same
// Redis script as the windows' dedup and is appended to the tenant's
// basket log only if the event is not a duplicate, so each basket is
// logged exactly once, and not at all when the apply fails. Only the
// replica holding the tenant's closing lease keeps a model of the tenant:
// it learns the log in log order (the order of the apply scripts, the same
// for every reader), announces the tenant's recommendation insight and
// writes its recommendation_pairs rows, and saves the model with the log
// id it covers (fenced by the lease) every few seconds, trimming the log
// before that id. A replica that takes the lease over loads the saved
// model and learns the log after its id: its model is the previous
// holder's, and the tenant's model is the one a single replica would have
// built from all the tenant's orders in log order. Figures can differ
// from a replica fed the same orders in another order only where this
// package depends on order anyway: the last bits of sums, which baskets a
// full summary evicts first, and which completions a refund finds still
// remembered. /recommendations on any replica answers from the saved
// model (processors.SharedRecommendations), so it is as old as the last
// save plus a short cache (about 15 s by default).
//
// Known limits: a log holds at most a bounded number of baskets no holder
// has read (100,000 by default; a holder that finds its place trimmed
// counts a gap); pairs announced by a holder that lost its lease before
// its next save may be announced again by the next holder; a period whose
// holder died before announcing it is announced by the next holder only
// if it takes over before its own tick of that period, else the pairs wait
// for the next period; a tenant idle past the windows' dedup horizon is
// loaded by a new holder only at its next order.
//
// With --no-shared-recommendations (or without Redis state) each replica
// has its own model of the orders it received: counts are its share,
// cold-start thresholds are reached later, refunds meet their completions
// only when Pub/Sub gives both to one replica, and only the lease holder
// announces, from its share. A replica (any mode) without Redis starts
// empty after a restart; with shared models it starts from the saved ones.
//
// The package is pure: no I/O, no clock (time is an argument), and
// deterministic output for the same input.
package recommend
