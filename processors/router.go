package processors

import (
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill-googlecloud/v2/pkg/googlecloud"
	"github.com/ThreeDotsLabs/watermill/message"
	"google.golang.org/api/option"
)

// SubscriberConfig says where orders come from and how hard to pull.
type SubscriberConfig struct {
	ProjectID     string
	ClientOptions []option.ClientOption
	// Topic carries order events. Default "orders".
	Topic string
	// Subscription is shared by every replica. Default "pulse-orders".
	Subscription string
	// Streams is the number of StreamingPull streams (NumGoroutines).
	// Default 4: one stream carries ~10 MB/s on real Pub/Sub, and pstest
	// delivers slowly per stream.
	Streams int
	// MaxOutstanding bounds unacked messages in this process, which is where
	// backpressure reaches the broker. Default 1000.
	MaxOutstanding int
	// AckDeadline for a subscription Pulse creates. Default 60s.
	AckDeadline time.Duration
}

func (c SubscriberConfig) withDefaults() SubscriberConfig {
	if c.Topic == "" {
		c.Topic = "orders"
	}
	if c.Subscription == "" {
		c.Subscription = "pulse-orders"
	}
	if c.Streams <= 0 {
		c.Streams = 4
	}
	if c.MaxOutstanding <= 0 {
		c.MaxOutstanding = 1000
	}
	if c.AckDeadline <= 0 {
		c.AckDeadline = 60 * time.Second
	}
	return c
}

// Validate reports every problem at once.
func (c SubscriberConfig) Validate() error {
	var errs []error
	if c.ProjectID == "" {
		errs = append(errs, errors.New("subscriber: project id is required"))
	}
	if c.AckDeadline != 0 && (c.AckDeadline < 10*time.Second || c.AckDeadline > 600*time.Second) {
		errs = append(errs, fmt.Errorf("subscriber: ack deadline %s is outside Pub/Sub's 10s..600s", c.AckDeadline))
	}
	return errors.Join(errs...)
}

// NewRouter wires the ingest handler to the order subscription with a
// Watermill router. closeTimeout bounds how long Close waits for in-flight
// messages.
func NewRouter(cfg SubscriberConfig, ingest *Ingest, closeTimeout time.Duration, logger watermill.LoggerAdapter) (*message.Router, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	sub, err := googlecloud.NewSubscriber(googlecloud.SubscriberConfig{
		ProjectID:                cfg.ProjectID,
		ClientOptions:            cfg.ClientOptions,
		GenerateSubscriptionName: func(string) string { return cfg.Subscription },
		GenerateSubscription: func(googlecloud.GenerateSubscriptionParams) *pubsubpb.Subscription {
			return &pubsubpb.Subscription{AckDeadlineSeconds: int32(cfg.AckDeadline / time.Second)}
		},
		ReceiveSettings: pubsub.ReceiveSettings{
			NumGoroutines:          cfg.Streams,
			MaxOutstandingMessages: cfg.MaxOutstanding,
			MaxOutstandingBytes:    -1,
		},
		Unmarshaler: pubsubUnmarshaler{},
	}, logger)
	if err != nil {
		return nil, fmt.Errorf("order subscriber: %w", err)
	}
	r, err := message.NewRouter(message.RouterConfig{CloseTimeout: closeTimeout}, logger)
	if err != nil {
		return nil, err
	}
	r.AddConsumerHandler("ingest", cfg.Topic, newDrainingSubscriber(sub, closeTimeout), ingest.Handle)
	return r, nil
}
