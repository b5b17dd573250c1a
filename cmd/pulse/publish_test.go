package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/grpc/codes"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
	"github.com/olympus-cloud/pulse/sinks/pubsub"
)

// pstestConn is a real client against an in-process pstest server with an
// "orders" topic.
func pstestConn(t *testing.T, opts ...pstest.ServerReactorOption) (*pstest.Server, *pubsub.Conn) {
	t.Helper()
	srv := pstest.NewServer(opts...)
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	conn, err := pubsub.Connect(t.Context(), pubsub.Config{ProjectID: "test", EmulatorHost: srv.Addr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := conn.Close(); err != nil {
			t.Error(err)
		}
	})
	if err := conn.EnsureTopic(t.Context(), "orders"); err != nil {
		t.Fatal(err)
	}
	return srv, conn
}

// messageKey identifies a message by content, for comparing multisets.
func messageKey(data []byte, attrs map[string]string) string {
	var b strings.Builder
	b.Write(data)
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		fmt.Fprintf(&b, "\x00%s=%s", k, attrs[k])
	}
	return b.String()
}

// TestGenerateIntoPstest publishes generated traffic through the bulk
// publisher and finds on the server exactly what was generated.
func TestGenerateIntoPstest(t *testing.T) {
	srv, conn := pstestConn(t)
	gen, err := eventgen.New(eventgen.Config{Seed: 9, MaxEvents: 5000, MalformedShare: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	bp := newBulkPublisher(conn.Client, "orders", bulkOptions{MaxInFlight: 500})
	want := map[string]int{}
	expect := map[string]events.Reason{}
	err = pump(t.Context(), gen, &eventgen.Pacer{}, time.Now, func(ctx context.Context, m *eventgen.Message) error {
		k := messageKey(m.Payload, m.Attributes)
		want[k]++
		expect[k] = m.Expect
		return bp.Publish(ctx, m.Payload, m.Attributes)
	})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := bp.Close(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if stats.Sent != 5000 || stats.Published != 5000 || stats.Failed != 0 {
		t.Fatalf("stats %+v, want 5000 sent and published", stats)
	}
	got := srv.Messages()
	if len(got) != 5000 {
		t.Fatalf("server holds %d messages, want 5000", len(got))
	}
	dec := events.NewDecoder(events.Limits{MaxAge: -1, MaxClockSkew: 24 * 365 * time.Hour})
	for _, m := range got {
		if len(m.Attributes) == 0 {
			t.Fatalf("message without attributes: %q", m.Data)
		}
		k := messageKey(m.Data, m.Attributes)
		if want[k] == 0 {
			t.Fatalf("server has a message that was not generated (or too many copies): %q %v", m.Data, m.Attributes)
		}
		want[k]--
		if m.OrderingKey != "" {
			t.Fatalf("ordering key %q set without OrderByTenant", m.OrderingKey)
		}
		// The timestamp checks depend on the decoder's clock; the rest of
		// the outcome travels with the message.
		if r := expect[k]; r != events.ReasonFutureTimestamp && r != events.ReasonTimestampTooOld {
			_, err := dec.Decode(m.Data, m.Attributes, time.Now())
			if got, _ := events.ReasonOf(err); got != r {
				t.Fatalf("published message decodes with %q, generated expecting %q: %q", got, r, m.Data)
			}
		}
	}
}

func TestBulkPublisherOrderingKey(t *testing.T) {
	srv, conn := pstestConn(t)
	bp := newBulkPublisher(conn.Client, "orders", bulkOptions{OrderByTenant: true})
	for i := range 20 {
		tenant := fmt.Sprintf("t%d", i%3)
		if err := bp.Publish(t.Context(), []byte(fmt.Sprint(i)), map[string]string{"tenant_id": tenant}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bp.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, m := range srv.Messages() {
		if m.OrderingKey != m.Attributes["tenant_id"] {
			t.Fatalf("ordering key %q, tenant %q", m.OrderingKey, m.Attributes["tenant_id"])
		}
	}
}

// TestBulkPublisherReportsFailures makes the server refuse every publish
// with a code the client does not retry.
func TestBulkPublisherReportsFailures(t *testing.T) {
	_, conn := pstestConn(t, pstest.WithErrorInjection("Publish", codes.InvalidArgument, "refused by test"))
	bp := newBulkPublisher(conn.Client, "orders", bulkOptions{})
	for i := range 30 {
		if err := bp.Publish(t.Context(), []byte(fmt.Sprint(i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	stats, err := bp.Close(t.Context())
	if err == nil || !strings.Contains(err.Error(), "30 of 30 messages failed") || !strings.Contains(err.Error(), "refused by test") {
		t.Fatalf("Close error %v, want 30 of 30 failures with the server's reason", err)
	}
	if stats.Failed != 30 || stats.Published != 0 {
		t.Fatalf("stats %+v", stats)
	}
}

func TestConnectPublisherRefusesEmbedded(t *testing.T) {
	t.Setenv("PUBSUB_EMULATOR_HOST", "")
	if _, err := connectPublisher(t.Context(), "", false); err != errNoPubSub {
		t.Fatalf("got %v, want errNoPubSub", err)
	}
	if _, err := connectPublisher(t.Context(), "", true); err == nil || !strings.Contains(err.Error(), "--project") {
		t.Fatalf("--real without --project: got %v", err)
	}
}
