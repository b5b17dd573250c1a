package processors

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
)

// deadLetterPublisher sends rejected input to the dead-letter topic and
// returns once it is durable.
type deadLetterPublisher interface {
	PublishDeadLetter(ctx context.Context, dl events.DeadLetter) error
}

// orderWriter durably records a valid order (the BigQuery orders table) and
// returns once it is written. An error with a Permanent() method returning
// true means the sink refused the row for good: the message is
// dead-lettered instead of retried.
type orderWriter interface {
	WriteOrder(ctx context.Context, o *events.Order, d Delivery) error
}

// permanent is a sink error that retrying cannot fix.
type permanent interface{ Permanent() bool }

// Delivery is what Pub/Sub said about a message. It is an alias of an
// unnamed struct so a sink can accept it without importing this package.
type Delivery = struct {
	PublishTime time.Time
	IngestedAt  time.Time
	MessageID   string
}

// applier applies a valid order to its tenant's state and returns once it
// is applied.
type applier interface {
	Apply(ctx context.Context, o *events.Order) error
}

// Metadata keys that the Pub/Sub unmarshaler adds next to the original
// attributes. They never reach a dead letter's original attributes.
const (
	metaPublishTime = "_pulse_publish_time"
)

// IngestConfig configures the ingest handler.
type IngestConfig struct {
	Limits events.Limits
	// Now is the clock for validation (future/horizon checks). Default
	// time.Now.
	Now func() time.Time
}

// Ingest is the Watermill handler for order messages.
type Ingest struct {
	cfg      IngestConfig
	decoders sync.Pool
	dead     deadLetterPublisher
	orders   orderWriter // nil: no order sink
	state    applier
	stats    *Stats
	log      zerolog.Logger
}

// NewIngest builds the handler. orders may be nil.
func NewIngest(cfg IngestConfig, dead deadLetterPublisher, orders orderWriter, state applier, stats *Stats, log zerolog.Logger) *Ingest {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	limits := cfg.Limits.WithDefaults()
	in := &Ingest{cfg: cfg, dead: dead, orders: orders, state: state, stats: stats, log: log}
	in.decoders.New = func() any { return events.NewDecoder(limits) }
	return in
}

// Handle processes one message. nil acks it; an error nacks it.
func (in *Ingest) Handle(msg *message.Message) error {
	err := in.handle(msg)
	if err != nil {
		in.stats.Nacked.Add(1)
		return err
	}
	in.stats.Acked.Add(1)
	return nil
}

func (in *Ingest) handle(msg *message.Message) error {
	ctx := msg.Context()
	in.stats.Received.Add(1)
	attrs := originalAttributes(msg.Metadata)
	now := in.cfg.Now()
	dec := in.decoders.Get().(*events.Decoder)
	o, err := dec.Decode(msg.Payload, attrs, now)
	in.decoders.Put(dec)
	if err != nil {
		reason, _ := events.ReasonOf(err)
		return in.deadLetter(ctx, msg, attrs, reason, err, now)
	}
	d := Delivery{MessageID: msg.UUID, IngestedAt: now}
	if t, perr := time.Parse(time.RFC3339Nano, msg.Metadata.Get(metaPublishTime)); perr == nil {
		d.PublishTime = t
	}

	// The row write and the state update are independent; run them together
	// and ack only when both are durable.
	var writeErr error
	var wg sync.WaitGroup
	if in.orders != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			writeErr = in.orders.WriteOrder(ctx, &o, d)
		}()
	}
	applyErr := in.state.Apply(ctx, &o)
	wg.Wait()
	var p permanent
	if errors.As(writeErr, &p) && p.Permanent() {
		return in.deadLetter(ctx, msg, attrs, events.ReasonSinkRejected, writeErr, now)
	}
	if err := errors.Join(writeErr, applyErr); err != nil {
		return fmt.Errorf("event %s of tenant %s: %w", o.EventID, o.TenantID, err)
	}
	in.stats.Valid.Add(1)
	return nil
}

func (in *Ingest) deadLetter(ctx context.Context, msg *message.Message, attrs map[string]string, reason events.Reason, cause error, now time.Time) error {
	dl := events.DeadLetter{
		Reason: reason, Error: cause.Error(), Payload: msg.Payload,
		Attributes: attrs, MessageID: msg.UUID, DeadLetterAt: now,
	}
	if err := in.dead.PublishDeadLetter(ctx, dl); err != nil {
		return fmt.Errorf("dead-letter message %s (%s): %w", msg.UUID, reason, err)
	}
	in.stats.deadLetter(reason)
	in.log.Debug().Str("message_id", msg.UUID).Str("reason", string(reason)).Err(cause).Msg("dead-lettered")
	return nil
}

func originalAttributes(md message.Metadata) map[string]string {
	attrs := make(map[string]string, len(md))
	for k, v := range md {
		if k != metaPublishTime {
			attrs[k] = v
		}
	}
	return attrs
}
