package bigquery

import (
	"errors"
	"fmt"

	"github.com/olympus-cloud/pulse/events"
)

// ErrRetriesExhausted wraps the last transient error of a batch that still
// failed after RetryPolicy.MaxAttempts. The caller nacks; Pub/Sub redelivers.
var ErrRetriesExhausted = errors.New("bigquery: retries exhausted")

// ErrClosed is returned by writes after Close has begun.
var ErrClosed = errors.New("bigquery: writer closed")

// RowError is a permanent rejection of one row: BigQuery (or the encoder)
// refused it and retrying cannot help. The caller dead-letters the message
// with Reason and acks it. Detect it with errors.As.
type RowError struct {
	Table    string
	InsertID string        // event_id for orders, insight_id for insights
	Reason   events.Reason // always events.ReasonSinkRejected
	Detail   string        // BigQuery's reason and message
}

func (e *RowError) Error() string {
	return fmt.Sprintf("%s: %s row %s: %s", e.Reason, e.Table, e.InsertID, e.Detail)
}

// Permanent marks the refusal as final: the caller dead-letters the message
// instead of retrying it.
func (e *RowError) Permanent() bool { return true }

func rejected(table, id, detail string) *RowError {
	return &RowError{Table: table, InsertID: id, Reason: events.ReasonSinkRejected, Detail: detail}
}
