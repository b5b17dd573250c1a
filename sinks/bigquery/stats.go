package bigquery

import (
	"sync/atomic"
	"time"
)

// Stats are cumulative counters of a writer, for metrics.
type Stats struct {
	RowsWritten  int64 // rows BigQuery (or the file) accepted, duplicates included
	RowsRejected int64 // rows refused for good (returned as *RowError)
	RowsFailed   int64 // rows whose retries ran out or were cut by Close
	Batches      int64 // flushed batches
	Retries      int64 // retried insert requests
	// FlushTime is the total time spent flushing batches, retries
	// included; FlushTime/Batches is the mean flush latency.
	FlushTime    time.Duration
	MaxFlushTime time.Duration
}

type counters struct {
	rowsWritten, rowsRejected, rowsFailed, batches, retries atomic.Int64
	flushNanos, maxFlushNanos                               atomic.Int64
}

func (c *counters) flushed(d time.Duration) {
	c.batches.Add(1)
	c.flushNanos.Add(int64(d))
	for {
		m := c.maxFlushNanos.Load()
		if int64(d) <= m || c.maxFlushNanos.CompareAndSwap(m, int64(d)) {
			return
		}
	}
}

func (c *counters) snapshot() Stats {
	return Stats{
		RowsWritten:  c.rowsWritten.Load(),
		RowsRejected: c.rowsRejected.Load(),
		RowsFailed:   c.rowsFailed.Load(),
		Batches:      c.batches.Load(),
		Retries:      c.retries.Load(),
		FlushTime:    time.Duration(c.flushNanos.Load()),
		MaxFlushTime: time.Duration(c.maxFlushNanos.Load()),
	}
}
