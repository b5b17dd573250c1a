package pubsub

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/pubsub/v2"
	json "github.com/goccy/go-json"

	"github.com/olympus-cloud/pulse/events"
)

// Topic publishes to one topic through the client's own batching. Publish
// waits for the server's answer, so callers know the message is durable;
// concurrent callers share batches. Safe for concurrent use.
type Topic struct {
	p       *pubsub.Publisher
	ordered bool
}

// Topic returns a publisher for topic id. With ordered, messages carry an
// ordering key (the tenant id) so one tenant's messages arrive in order.
func (c *Conn) Topic(id string, ordered bool) *Topic {
	p := c.Client.Publisher(id)
	p.EnableMessageOrdering = ordered
	// A short delay keeps single insights fast; bursts still batch.
	p.PublishSettings.DelayThreshold = time.Millisecond
	return &Topic{p: p, ordered: ordered}
}

// attemptTimeout bounds one publish: a result that never comes (a wedged
// connection) becomes an error the caller retries instead of a stall.
const attemptTimeout = 30 * time.Second

// Publish sends one message and waits for its server id.
func (t *Topic) Publish(ctx context.Context, data []byte, attrs map[string]string, orderingKey string) error {
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	m := &pubsub.Message{Data: data, Attributes: attrs}
	if t.ordered {
		m.OrderingKey = orderingKey
	}
	if _, err := t.p.Publish(ctx, m).Get(ctx); err != nil {
		if t.ordered && orderingKey != "" {
			// A failed ordered publish pauses its key; resume so the
			// caller's retry (after redelivery) can go through.
			t.p.ResumePublish(orderingKey)
		}
		return fmt.Errorf("publish to %s: %w", t.p.ID(), err)
	}
	return nil
}

// Stop flushes pending messages and stops the publisher's goroutines.
func (t *Topic) Stop() { t.p.Stop() }

// InsightPublisher sends closed windows (window.metrics, window.correction)
// to the metrics topic and every other insight to the insights topic, so
// alerting consumers are not flooded by routine windows. Ordering key: tenant.
type InsightPublisher struct {
	Metrics  *Topic
	Insights *Topic
}

// Publish encodes and publishes one insight, waiting until it is durable.
func (p *InsightPublisher) Publish(ctx context.Context, in events.Insight) error {
	data, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("encode insight %s: %w", in.InsightID, err)
	}
	t := p.Insights
	if in.Kind == events.KindWindowMetrics || in.Kind == events.KindWindowCorrection {
		t = p.Metrics
	}
	return t.Publish(ctx, data, in.Attributes(), in.TenantID)
}

// DeadLetterPublisher sends rejected input to the dead-letter topic: the
// original payload unchanged as data, the original attributes prefixed
// "original_", and the reason code and error text as attributes, so an
// operator can fix and replay it.
type DeadLetterPublisher struct {
	Topic *Topic
}

// PublishDeadLetter publishes one dead letter and waits until it is durable.
func (p *DeadLetterPublisher) PublishDeadLetter(ctx context.Context, dl events.DeadLetter) error {
	return p.Topic.Publish(ctx, dl.Payload, dl.DeadLetterAttributes(), "")
}
