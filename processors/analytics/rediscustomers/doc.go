// Package rediscustomers is the analytics.CustomerStore shared by the
// replicas of `pulse run --state redis`: any replica may take any order,
// so a customer's figures and segment live in Redis, next to the window
// state (same client and key prefix), and each segment move is reported
// exactly once.
//
// It sits under processors/analytics rather than in windows/redisstore
// because it implements an analytics interface with analytics types
// (windows/ may import only events/); it imports windows for ShardOf and
// the Leases view only.
//
// # Keys (P = Config.Prefix, t = tenant)
//
//	P cu:{t}         hash  "CUR|customer_id" -> "orders|spent|last|seg|" + the
//	                       latest four event-id hashes (4 × 8 bytes) + next slot
//	P cz:{t}         zset  "CUR|customer_id" by last order (ms): eviction and forgetting
//	P cm:{t}         hash  first (earliest completed order), sday (last summary day)
//	P ce:{t}:{hour}  set   8-byte hashes of the tenant's events of that event hour (dedup)
//	P ct:{shard}     set   tenants with customers, per lease shard (windows.ShardOf)
//
// Times are 20 decimal digits of uint64(ns) XOR 1<<63, so Lua compares
// them as strings; spend is a decimal string added as two base-10^9 limbs
// in Lua, exact over int64 (no double ever holds it).
//
// # Apply: one script per batch
//
// Per update, in order: SADD the event hash to P ce:{t}:{hour} and look it
// up among the customer's latest four — seen: a duplicate, nothing
// changes; a refund of an unknown customer: nothing; else add the order
// (count, spend, max of the last order time) or subtract the refund,
// classify at now with the rules the caller passes (the spend thresholds
// in minor units and the three cutoff times: the same boundaries as
// analytics.SegmentRules.Classify, checked by the shared contract), store
// the value with its segment, evict the oldest last orders past
// MaxPerTenant, and reply the state and segment before and after. The
// batch is atomic, so two replicas applying orders of one customer see
// each other's effects in some order, and the move an order causes is
// reported by the replica that applied it. Every key touched gets
// PEXPIRE: TTL (default two years and a week) for the customer keys,
// DedupTTL (52 h, as the window state) for the event-hour sets.
//
// # Sweep: the lease holder, incrementally
//
// A Store sweeps the lease shards s with s % Members == Member that
// Leases holds (as the distributed windows engine closes them). Per
// tenant a pass starts at most every Interval (1 h): first it forgets
// customers silent past the engine's ForgetCustomersAfter (ZRANGEBYSCORE
// on P cz:{t}, a bounded number per pass), then it reads P cu:{t} with
// HSCAN, at most Page (2,000) customers per Sweep call over all tenants,
// classifies each at now, and records every move with a compare-and-set
// of the customer's whole value: if an order or another sweeper changed
// it since the page was read, the move is not reported (the order's own
// classification stands). The end of a pass reports the tenant's counts;
// the daily summary is claimed with a compare-and-set of P cm:{t} sday,
// so a handover cannot publish a day twice. A lost lease drops this
// replica's passes of that shard; the next holder starts its own.
//
// # Memory
//
// About 280 bytes per customer with 15-character ids (hash field and
// value, zset member; measured with MEMORY USAGE in
// TestMemoryPerCustomer), so at most about 28 MB per tenant at the default
// cap of 100,000 customers, plus the event-hour sets (about 50 bytes per
// completed or refunded order with a customer, for DedupTTL). Hashes of
// up to 512 customers (hash-max-listpack-entries) are listpacks and
// smaller.
//
// # Failure
//
// Redis down: Apply returns the error, the engine returns it, the message
// is nacked and redelivered; the window state's dedup reports it as a
// duplicate then, but WindowState still hands it to this store (its own
// dedup decides). A sweep step that fails is retried on the next tick.
package rediscustomers
