// Package batch groups items submitted by many goroutines into batches that
// flush on count, bytes or age, and hands each submitter its own item's
// outcome. The BigQuery writer and the local NDJSON writer share it.
//
// One goroutine owns the pending batch (no lock on the hot path); a bounded
// set of workers flushes sealed batches. When every worker is busy the owner
// blocks, the input channel fills, and Submit blocks: backpressure reaches
// the caller (and through it the Pub/Sub flow control) instead of memory.
//
// Contract: Submit blocks until the item's batch has been flushed and
// returns that item's own error; Close stops intake, flushes what is
// pending, and bounds the wait by its ctx (cancelling in-flight flushes when
// it runs out). No defaults beyond safe minimums: callers pass a Policy.
package batch
