// Package windows owns Pulse's time and state: per-tenant event-time
// windows with exact metrics, dedup, watermarks, late data and bounded
// memory. It is pure: no I/O of its own (the Store is a seam), no clock
// (processing time is an argument), deterministic for the same input.
// (Full contract: see the sections below.)
package windows
