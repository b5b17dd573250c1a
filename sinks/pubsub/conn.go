package pubsub

import (
	"context"
	"errors"
	"fmt"
	"os"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// DefaultProject is the project id used with emulators and the embedded
// server, where any id works.
const DefaultProject = "pulse-local"

// Config says which Pub/Sub to reach. The zero value starts an embedded
// pstest server.
type Config struct {
	// ProjectID of the Google Cloud project. Default DefaultProject.
	ProjectID string
	// EmulatorHost (host:port) of a Pub/Sub emulator. Defaults to the
	// PUBSUB_EMULATOR_HOST environment variable.
	EmulatorHost string
	// Real selects Google Cloud Pub/Sub with default credentials even though
	// no emulator is configured. Without it and without an emulator, an
	// embedded server starts.
	Real bool
}

// Conn is a Pub/Sub client plus, in embedded mode, the server it talks to.
type Conn struct {
	Client   *pubsub.Client
	Project  string
	Server   *pstest.Server // nil unless embedded
	Endpoint string         // emulator or embedded address; empty for real
}

// Mode names where a Conn points: "embedded", "emulator" or "cloud".
func (c *Conn) Mode() string {
	switch {
	case c.Server != nil:
		return "embedded"
	case c.Endpoint != "":
		return "emulator"
	}
	return "cloud"
}

// Connect dials Pub/Sub as cfg says.
func Connect(ctx context.Context, cfg Config) (*Conn, error) {
	if cfg.ProjectID == "" {
		cfg.ProjectID = DefaultProject
	}
	if cfg.EmulatorHost == "" && !cfg.Real {
		cfg.EmulatorHost = os.Getenv("PUBSUB_EMULATOR_HOST")
	}
	c := &Conn{Project: cfg.ProjectID}
	switch {
	case cfg.EmulatorHost != "":
		c.Endpoint = cfg.EmulatorHost
	case !cfg.Real:
		c.Server = pstest.NewServer()
		c.Endpoint = c.Server.Addr
	}
	var err error
	if c.Endpoint != "" {
		c.Client, err = pubsub.NewClient(ctx, cfg.ProjectID, EmulatorOptions(c.Endpoint)...)
	} else {
		c.Client, err = pubsub.NewClient(ctx, cfg.ProjectID)
	}
	if err != nil {
		if c.Server != nil {
			err = errors.Join(err, c.Server.Close())
		}
		return nil, fmt.Errorf("pubsub client for project %s: %w", cfg.ProjectID, err)
	}
	return c, nil
}

// EmulatorOptions are the client options for a plaintext emulator endpoint.
func EmulatorOptions(endpoint string) []option.ClientOption {
	return []option.ClientOption{
		option.WithEndpoint(endpoint),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())),
		option.WithoutAuthentication(),
		option.WithTelemetryDisabled(),
	}
}

// Close closes the client and the embedded server.
func (c *Conn) Close() error {
	err := c.Client.Close()
	if c.Server != nil {
		err = errors.Join(err, c.Server.Close())
	}
	return err
}

// TopicName is the fully qualified name of a topic id.
func (c *Conn) TopicName(id string) string {
	return "projects/" + c.Project + "/topics/" + id
}

// SubscriptionName is the fully qualified name of a subscription id.
func (c *Conn) SubscriptionName(id string) string {
	return "projects/" + c.Project + "/subscriptions/" + id
}

// EnsureTopic creates a topic if it does not exist.
func (c *Conn) EnsureTopic(ctx context.Context, id string) error {
	_, err := c.Client.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: c.TopicName(id)})
	if err != nil && status.Code(err) != codes.AlreadyExists {
		return fmt.Errorf("create topic %s: %w", id, err)
	}
	return nil
}

// EnsureSubscription creates a subscription on a topic (and the topic) if
// they do not exist. ackDeadlineSeconds of 0 means the service default.
func (c *Conn) EnsureSubscription(ctx context.Context, topic, sub string, ackDeadlineSeconds int32) error {
	if err := c.EnsureTopic(ctx, topic); err != nil {
		return err
	}
	_, err := c.Client.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name:               c.SubscriptionName(sub),
		Topic:              c.TopicName(topic),
		AckDeadlineSeconds: ackDeadlineSeconds,
	})
	if err != nil && status.Code(err) != codes.AlreadyExists {
		return fmt.Errorf("create subscription %s on %s: %w", sub, topic, err)
	}
	return nil
}
