package bigquery

import (
	"errors"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// Observer sees what a row writer does, for metrics. The Writer and the
// localfile writer call it from their flush workers and from callers'
// goroutines at once; it must be safe for concurrent use and must not
// block. Set it in Config.Observer; nil observes nothing.
type Observer interface {
	// Flushed reports one flushed batch and how long the flush took,
	// retries included.
	Flushed(took time.Duration)
	// Rows reports n rows of a table that ended in outcome.
	Rows(table string, outcome Outcome, n int)
	// Retried reports one insert request retried after a transient failure.
	Retried()
}

// Outcome is what became of a row. The three match Stats.RowsWritten,
// RowsRejected and RowsFailed.
type Outcome string

// Outcomes.
const (
	OutcomeWritten  Outcome = "written"  // accepted (duplicates included)
	OutcomeRejected Outcome = "rejected" // refused for good: dead-lettered
	OutcomeFailed   Outcome = "failed"   // retries ran out or Close cut it off: redelivered
)

// Outcomes lists every outcome.
var Outcomes = []Outcome{OutcomeWritten, OutcomeRejected, OutcomeFailed}

// InsightTable is the table an insight's row goes to.
func InsightTable(k events.Kind) string {
	if IsMetrics(k) {
		return TableTenantMetrics
	}
	return TableInsights
}

// observeFlush reports a flushed batch of one table and its row outcomes.
func observeFlush(o Observer, table string, took time.Duration, errs []error) {
	if o == nil {
		return
	}
	o.Flushed(took)
	var n [3]int
	for _, err := range errs {
		n[outcomeOf(err)]++
	}
	for i, c := range n {
		if c > 0 {
			o.Rows(table, Outcomes[i], c)
		}
	}
}

// outcomeOf classifies a row's result: its index in Outcomes.
func outcomeOf(err error) int {
	var re *RowError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &re):
		return 1
	}
	return 2
}
