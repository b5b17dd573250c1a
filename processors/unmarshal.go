package processors

import (
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/ThreeDotsLabs/watermill/message"
)

// pubsubUnmarshaler turns a Pub/Sub message into a Watermill message whose
// UUID is the Pub/Sub message id and whose metadata are exactly the
// original attributes, plus the publish time under a reserved key. (The
// adapter's default keys the UUID on a Watermill-only attribute, which
// publishers outside Watermill never set.)
type pubsubUnmarshaler struct{}

func (pubsubUnmarshaler) Unmarshal(m *pubsub.Message) (*message.Message, error) {
	md := make(message.Metadata, len(m.Attributes)+1)
	for k, v := range m.Attributes {
		md[k] = v
	}
	md[metaPublishTime] = m.PublishTime.UTC().Format(time.RFC3339Nano)
	msg := message.NewMessage(m.ID, m.Data)
	msg.Metadata = md
	return msg, nil
}
