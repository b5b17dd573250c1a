package processors

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
)

var testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

type rowRefused struct{}

func (rowRefused) Error() string   { return "invalid: field too long" }
func (rowRefused) Permanent() bool { return true }

type fakeDead struct {
	mu   sync.Mutex
	got  []events.DeadLetter
	fail error
}

func (f *fakeDead) PublishDeadLetter(_ context.Context, dl events.DeadLetter) error {
	if f.fail != nil {
		return f.fail
	}
	f.mu.Lock()
	f.got = append(f.got, dl)
	f.mu.Unlock()
	return nil
}

type fakeWriter struct {
	mu   sync.Mutex
	rows []string
	err  error
}

func (f *fakeWriter) WriteOrder(_ context.Context, o *events.Order, _ Delivery) error {
	if f.err != nil {
		return f.err
	}
	f.mu.Lock()
	f.rows = append(f.rows, o.EventID)
	f.mu.Unlock()
	return nil
}

type fakeState struct {
	mu      sync.Mutex
	applied []string
	err     error
}

func (f *fakeState) Apply(_ context.Context, o *events.Order) error {
	if f.err != nil {
		return f.err
	}
	f.mu.Lock()
	f.applied = append(f.applied, o.EventID)
	f.mu.Unlock()
	return nil
}

func orderMessage(t *testing.T, id string) *message.Message {
	t.Helper()
	o := events.Order{EventID: id, Type: events.OrderCompleted, TenantID: "acme", OrderID: "o1",
		Amount: 12990, Currency: "USD", OccurredAt: testNow.Add(-time.Minute)}
	b, _ := o.MarshalJSON()
	m := message.NewMessage("msg-"+id, b)
	for k, v := range o.Attributes() {
		m.Metadata.Set(k, v)
	}
	m.Metadata.Set(metaPublishTime, testNow.Format(time.RFC3339Nano))
	m.SetContext(context.Background())
	return m
}

func newTestIngest(dead deadLetterPublisher, w orderWriter, st applier) (*Ingest, *Stats) {
	stats := NewStats()
	return NewIngest(IngestConfig{Now: func() time.Time { return testNow }}, dead, w, st, stats, zerolog.Nop()), stats
}

func TestIngestOutcomes(t *testing.T) {
	permanent := rowRefused{}
	cases := []struct {
		name       string
		msg        func(t *testing.T) *message.Message
		dead       *fakeDead
		writeErr   error
		applyErr   error
		wantAck    bool
		wantDead   events.Reason
		wantWrites int
	}{
		{name: "valid is written, applied and acked", msg: func(t *testing.T) *message.Message { return orderMessage(t, "e1") },
			dead: &fakeDead{}, wantAck: true, wantWrites: 1},
		{name: "malformed is dead-lettered and acked", msg: func(t *testing.T) *message.Message {
			m := orderMessage(t, "e2")
			m.Payload = m.Payload[:10]
			return m
		}, dead: &fakeDead{}, wantAck: true, wantDead: events.ReasonMalformedJSON},
		{name: "dead-letter failure nacks", msg: func(t *testing.T) *message.Message {
			m := orderMessage(t, "e3")
			m.Metadata.Set("tenant_id", "other")
			return m
		}, dead: &fakeDead{fail: errors.New("topic down")}, wantAck: false},
		{name: "transient sink failure nacks", msg: func(t *testing.T) *message.Message { return orderMessage(t, "e4") },
			dead: &fakeDead{}, writeErr: errors.New("bigquery unavailable"), wantAck: false},
		{name: "permanent sink rejection dead-letters and acks", msg: func(t *testing.T) *message.Message { return orderMessage(t, "e5") },
			dead: &fakeDead{}, writeErr: permanent, wantAck: true, wantDead: events.ReasonSinkRejected},
		{name: "state failure nacks", msg: func(t *testing.T) *message.Message { return orderMessage(t, "e6") },
			dead: &fakeDead{}, applyErr: errors.New("redis down"), wantAck: false, wantWrites: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := &fakeWriter{err: c.writeErr}
			st := &fakeState{err: c.applyErr}
			in, stats := newTestIngest(c.dead, w, st)
			msg := c.msg(t)
			err := in.Handle(msg)
			if (err == nil) != c.wantAck {
				t.Fatalf("Handle error %v, want ack %v", err, c.wantAck)
			}
			if c.wantDead != "" {
				if len(c.dead.got) != 1 || c.dead.got[0].Reason != c.wantDead {
					t.Fatalf("dead letters %+v, want one %s", c.dead.got, c.wantDead)
				}
				dl := c.dead.got[0]
				if string(dl.Payload) != string(msg.Payload) || dl.Attributes["tenant_id"] != msg.Metadata.Get("tenant_id") {
					t.Fatal("dead letter does not carry the original payload and attributes")
				}
				if _, leaked := dl.Attributes[metaPublishTime]; leaked {
					t.Fatal("internal metadata leaked into the original attributes")
				}
				if stats.DeadLetteredByReason()[c.wantDead] != 1 {
					t.Fatal("dead letter not counted by reason")
				}
			}
			if len(w.rows) != c.wantWrites {
				t.Fatalf("rows written %d, want %d", len(w.rows), c.wantWrites)
			}
			if c.wantAck && stats.Acked.Load() != 1 || !c.wantAck && stats.Nacked.Load() != 1 {
				t.Fatalf("acked %d nacked %d", stats.Acked.Load(), stats.Nacked.Load())
			}
		})
	}
}

type recState struct {
	shard    int
	applied  *[]string
	advanced *int
	flushed  *bool
}

func (r recState) Apply(o *events.Order, _ time.Time) error {
	*r.applied = append(*r.applied, o.TenantID)
	return nil
}
func (r recState) Advance(time.Time) error { *r.advanced++; return nil }
func (r recState) Flush(time.Time) error   { *r.flushed = true; return nil }

func TestShardsOwnTenantsAndDrainOnClose(t *testing.T) {
	const n = 4
	applied := make([][]string, n)
	advanced := make([]int, n)
	flushed := make([]bool, n)
	s := NewShards(ShardsConfig{Shards: n, QueueSize: 2, TickInterval: time.Hour}, func(i int) ShardState {
		return recState{shard: i, applied: &applied[i], advanced: &advanced[i], flushed: &flushed[i]}
	}, NewStats())
	tenants := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	var wg sync.WaitGroup
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := &events.Order{TenantID: tenants[i%len(tenants)]}
			if err := s.Apply(context.Background(), o); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	total := 0
	for i := range n {
		if !flushed[i] {
			t.Errorf("shard %d not flushed", i)
		}
		for _, tenant := range applied[i] {
			if s.ShardOf(tenant) != i {
				t.Errorf("tenant %s applied on shard %d, owner %d", tenant, i, s.ShardOf(tenant))
			}
		}
		total += len(applied[i])
	}
	if total != 400 {
		t.Fatalf("applied %d, want 400", total)
	}
	if err := s.Apply(context.Background(), &events.Order{TenantID: "a"}); !errors.Is(err, ErrShardsClosed) {
		t.Fatalf("Apply after Close: %v", err)
	}
}
