// Package processors holds everything between Pulse's input and outputs: the
// ingest handler (decode, validate, dead-letter, write, apply), the tenant
// shards that own window state, and the Watermill router wiring.
//
// Delivery: a message is acked only after its effects are durable — its
// dead letter published, or its order row written and its event applied to
// the tenant's state. Any failure returns an error, which nacks the message
// so Pub/Sub redelivers it; every effect is idempotent by event_id, so a
// redelivery never double-counts.
//
// Concurrency: Watermill runs the handler in one goroutine per in-flight
// message (bounded by the subscriber's MaxOutstandingMessages). Tenants are
// hashed onto a fixed set of shard goroutines; each shard alone owns its
// tenants' state, so state needs no locks, and a shard's bounded queue is
// where backpressure reaches the broker. Anything else that needs a shard's
// state runs on its goroutine through Shards.Do: the warm start, and
// OpenWindows, the query API's read of a tenant's open windows.
//
// Metrics: Stats, Outputs and WindowMetrics are Prometheus collectors
// (promstats.go, outputmetrics.go, windowmetrics.go). Hot paths pay an
// atomic add; engine counters are copied by each shard after its Advance,
// never read across goroutines; no label holds a tenant id.
//
// Distributed mode (windows in Redis): what a replica needs of another's
// work lives in Redis too, behind small interfaces redisstore satisfies:
// the scored windows (WindowLog), so detectors and analytics follow a
// tenant's lease; and the recommendation models' input and state
// (SharedModels), so the lease holder's model learns every order of the
// tenant and a new holder continues it; SharedRecommendations serves the
// saved models to the API on any replica.
//
// The package declares the small interfaces it needs from sinks
// (deadLetterPublisher, orderWriter, insightPublisher); sinks/ satisfies them.
package processors
