package main

import (
	"bytes"
	"context"
	"maps"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
)

// TestReplayKeepsOutcomes writes generated traffic as NDJSON the way
// `pulse generate --out` does, replays it into pstest, and checks that every
// published message, with its re-derived attributes, decodes to the outcome
// the generator expected.
func TestReplayKeepsOutcomes(t *testing.T) {
	cmd := &GenerateCmd{Seed: 4, Tenants: 20, Duration: 0, Events: 8000, Malformed: 0.05, Dupes: 0.02, Anomalies: 1, Out: "x"}
	cfg := cmd.config(eventgen.DefaultStart.AddDate(0, 0, 7))
	if !cfg.PayloadOnly {
		t.Fatal("file output must leave out attribute faults")
	}
	gen, err := eventgen.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var file bytes.Buffer
	byPayload := map[string]eventgen.Message{}
	lines := 0
	err = pump(t.Context(), gen, &eventgen.Pacer{}, time.Now, func(_ context.Context, m *eventgen.Message) error {
		if _, ok := byPayload[string(m.Payload)]; !ok {
			byPayload[string(m.Payload)] = *m
		}
		lines++
		file.Write(m.Payload)
		return file.WriteByte('\n')
	})
	if err != nil {
		t.Fatal(err)
	}

	srv, conn := pstestConn(t)
	bp := newBulkPublisher(conn.Client, "orders", bulkOptions{})
	tally, err := replay(t.Context(), &file, bp, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := bp.Close(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if tally.lines != lines || stats.Published != int64(lines) {
		t.Fatalf("replayed %d lines, published %d, want %d", tally.lines, stats.Published, lines)
	}
	got := srv.Messages()
	if len(got) != lines {
		t.Fatalf("server holds %d messages, want %d", len(got), lines)
	}
	dec := events.NewDecoder(events.Limits{})
	bare := 0
	for _, sm := range got {
		m, ok := byPayload[string(sm.Data)]
		if !ok {
			t.Fatalf("server has a payload that was not generated: %q", sm.Data)
		}
		if len(sm.Attributes) == 0 {
			bare++
		}
		_, err := dec.Decode(sm.Data, sm.Attributes, m.PublishAt)
		if r, _ := events.ReasonOf(err); r != m.Expect {
			t.Fatalf("replayed %s decodes with %q (%v), want %q: %q %v", m.Fault, r, err, m.Expect, sm.Data, sm.Attributes)
		}
		if m.Order != nil && !maps.Equal(sm.Attributes, m.Order.Attributes()) {
			t.Fatalf("valid event replayed with attributes %v, want %v", sm.Attributes, m.Order.Attributes())
		}
	}
	if bare != tally.bare || bare == 0 {
		t.Errorf("%d messages without attributes on the server, replay counted %d; want some (malformed JSON)", bare, tally.bare)
	}
}

func TestDeriveAttributes(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    map[string]string // nil: none
	}{
		{"full", `{"schema_version":1,"tenant_id":"a","event_type":"order.created"}`,
			map[string]string{"schema_version": "1", "tenant_id": "a", "event_type": "order.created"}},
		{"version as string", `{"schema_version":"1","tenant_id":"a"}`, map[string]string{"schema_version": "1", "tenant_id": "a"}},
		{"version 2 kept", `{"schema_version":2}`, map[string]string{"schema_version": "2"}},
		{"null version left out", `{"schema_version":null,"tenant_id":""}`, map[string]string{"tenant_id": ""}},
		{"truncated", `{"schema_version":1,"tenant_id":"a"`, nil},
		{"array", `[]`, nil},
		{"tenant of the wrong type", `{"tenant_id":7}`, nil},
		{"not json", "order 1 created", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := deriveAttributes([]byte(tt.payload))
			if (got == nil) != (tt.want == nil) || !maps.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
