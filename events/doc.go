// Package events owns Pulse's wire contracts: order events (input), insight
// events (output), and dead-letter entries (rejected input).
//
// The order contract is version 1 (see schema/order.v1.json). A Decoder turns
// a Pub/Sub payload and its attributes into an Order or into a
// *ValidationError that carries a stable Reason code; callers dead-letter on
// that code and never guess from error text.
//
// Money never touches a float: amounts arrive as JSON strings or numbers and
// are parsed exactly into int64 minor units of the order's ISO 4217 currency
// (two decimals for USD, none for JPY, three for KWD). An amount with more
// significant decimals than its currency allows is rejected, not rounded.
//
// Dependencies: the standard library plus github.com/goccy/go-json, chosen by
// measurement (FACTS.md: about 5x less CPU per order than encoding/json), on
// the hot path of every event. The currency table is written here because the
// CLDR tables in golang.org/x/text use display rounding, which differs from
// ISO 4217 minor units for several currencies (IDR, HUF, COP, ...).
//
// The decoder has a fast path (scan.go) for the plain form producers write:
// known keys spelled exactly, strings without escapes, integer quantities.
// It reads the payload in place and, once the order is valid, copies the
// strings the Order keeps into one buffer, so a decode costs at most two
// allocations (those strings and the items) instead of one per string. Anything else — escapes, keys in
// another case, duplicate keys, a syntax error — goes to goccy/go-json, the
// reference: the fuzz target FuzzScanWire checks that goccy fills the same
// wire struct on every payload the fast path accepts, so the decoded Order
// and every rejection reason are the same either way. A consequence for
// callers: an Order's strings share one backing array, so code that keeps
// one long-term (a map key) clones it rather than pin its neighbours; the
// currency is the package's own (from its table).
//
// A Decoder is not safe for concurrent use; give each goroutine its own.
// Orders, Insights and DeadLetters are plain values, safe to copy.
package events
