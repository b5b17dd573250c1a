package bigquery_test

import (
	"context"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/sinks/bigquery"
	"github.com/olympus-cloud/pulse/sinks/bigquery/localfile"
)

// The processor declares its own interface and meta type without importing
// sinks/ (ARCHITECTURE.md); both writers must satisfy it as they are.
type orderMeta = struct {
	PublishTime time.Time
	IngestedAt  time.Time
	MessageID   string
}

type rowWriter interface {
	WriteOrder(ctx context.Context, o *events.Order, m orderMeta) error
	WriteInsight(ctx context.Context, in events.Insight) error
	Close(ctx context.Context) error
}

var (
	_ rowWriter = (*bigquery.Writer)(nil)
	_ rowWriter = (*localfile.Writer)(nil)
)
