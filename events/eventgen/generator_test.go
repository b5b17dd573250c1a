package eventgen

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

func drain(t testing.TB, cfg Config) (*Generator, []Message) {
	t.Helper()
	g, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []Message
	for {
		m, ok := g.Next()
		if !ok {
			return g, out
		}
		out = append(out, m)
	}
}

// TestDecodeAgreesWithExpect is the contract end-to-end tests rely on: the
// real decoder gives exactly each message's expected outcome, whether it
// decodes at the simulated publish time or later (a real clock that the
// paced generator never runs ahead of).
func TestDecodeAgreesWithExpect(t *testing.T) {
	g, msgs := drain(t, Config{Seed: 7, Tenants: 30, MalformedShare: 0.05, MaxEvents: 60_000})
	if len(msgs) != 60_000 {
		t.Fatalf("got %d messages, want 60000 (MaxEvents)", len(msgs))
	}
	dec := events.NewDecoder(events.Limits{})
	seen := map[string]int{}
	var prev time.Time
	for i, m := range msgs {
		if m.PublishAt.Before(prev) {
			t.Fatalf("message %d published at %s, before %s", i, m.PublishAt, prev)
		}
		prev = m.PublishAt
		if m.PublishAt.Before(g.Start()) || !m.PublishAt.Before(g.End()) {
			t.Fatalf("message %d published at %s, outside [%s, %s)", i, m.PublishAt, g.Start(), g.End())
		}
		if bytes.IndexByte(m.Payload, '\n') >= 0 {
			t.Fatalf("message %d payload has a newline, unfit for NDJSON: %q", i, m.Payload)
		}
		for _, now := range []time.Time{m.PublishAt, g.End()} {
			got, err := dec.Decode(m.Payload, m.Attributes, now)
			if m.Expect == "" {
				if err != nil {
					t.Fatalf("message %d: valid message rejected at %s: %v\n%s", i, now, err, m.Payload)
				}
				if !reflect.DeepEqual(got, *m.Order) {
					t.Fatalf("message %d decodes to\n%+v\nwant\n%+v", i, got, *m.Order)
				}
				continue
			}
			reason, _ := events.ReasonOf(err)
			if reason != m.Expect {
				t.Fatalf("message %d (fault %s): decoder says %q (%v), want %q\npayload %q attrs %v",
					i, m.Fault, reason, err, m.Expect, m.Payload, m.Attributes)
			}
		}
		if m.Expect != "" {
			if m.Order != nil || m.Duplicate {
				t.Fatalf("message %d is malformed but has an order or is a duplicate", i)
			}
			seen[m.Fault]++
		} else {
			if m.Order.OccurredAt.After(m.PublishAt) {
				t.Fatalf("message %d occurred at %s, after publishing at %s", i, m.Order.OccurredAt, m.PublishAt)
			}
			if m.Late && m.PublishAt.Sub(m.Order.OccurredAt) < 30*time.Minute {
				t.Fatalf("message %d is marked late but only %s behind", i, m.PublishAt.Sub(m.Order.OccurredAt))
			}
			if m.Tenant != m.Order.TenantID || m.Attributes["tenant_id"] != m.Tenant {
				t.Fatalf("message %d: tenant %q, order %q, attribute %q", i, m.Tenant, m.Order.TenantID, m.Attributes["tenant_id"])
			}
		}
	}
	for name, reason := range Faults() {
		if seen[name] == 0 {
			t.Errorf("fault %s (%s) never generated", name, reason)
		}
	}
	reasons := map[events.Reason]bool{}
	for _, r := range Faults() {
		reasons[r] = true
	}
	if len(reasons) < 12 {
		t.Errorf("faults cover %d reason codes, want at least 12", len(reasons))
	}
}

func TestDeterministic(t *testing.T) {
	cfg := Config{Seed: 42, Tenants: 10, MaxEvents: 20_000}
	_, a := drain(t, cfg)
	_, b := drain(t, cfg)
	if len(a) != len(b) {
		t.Fatalf("lengths differ: %d and %d", len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i].Payload, b[i].Payload) || !a[i].PublishAt.Equal(b[i].PublishAt) ||
			!reflect.DeepEqual(a[i].Attributes, b[i].Attributes) || a[i].Expect != b[i].Expect {
			t.Fatalf("message %d differs between equal configs:\n%s\n%s", i, a[i].Payload, b[i].Payload)
		}
	}
	cfg.Seed = 43
	_, c := drain(t, cfg)
	same := 0
	for i := range min(len(a), len(c)) {
		if bytes.Equal(a[i].Payload, c[i].Payload) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d payloads equal across different seeds", same)
	}
}

func TestPayloadOnlyHasNoAttributeFaults(t *testing.T) {
	_, msgs := drain(t, Config{Seed: 3, PayloadOnly: true, MalformedShare: 0.2, MaxEvents: 20_000})
	for _, m := range msgs {
		if m.Expect == events.ReasonAttributeMismatch {
			t.Fatalf("PayloadOnly generated %s: %s", m.Fault, m.Payload)
		}
	}
}

func TestNowPlacesTheSpanBeforeNow(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 34, 56, 0, time.UTC)
	g, msgs := drain(t, Config{Seed: 1, Tenants: 3, Now: now, Duration: 2 * time.Hour})
	if !g.End().Equal(now) || !g.Start().Equal(now.Add(-2*time.Hour)) {
		t.Errorf("span [%s, %s), want [%s, %s)", g.Start(), g.End(), now.Add(-2*time.Hour), now)
	}
	g, _ = drain(t, Config{Seed: 1, Tenants: 3, Now: now, Backfill: time.Hour, Duration: 3 * time.Hour})
	if !g.Start().Equal(now.Add(-time.Hour)) || !g.End().Equal(now.Add(2*time.Hour)) {
		t.Errorf("backfill span [%s, %s), want [%s, %s)", g.Start(), g.End(), now.Add(-time.Hour), now.Add(2*time.Hour))
	}
	if len(msgs) == 0 {
		t.Fatal("no messages in two hours of three tenants")
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings, every one reported
	}{
		{"zero value", Config{}, nil},
		{"negative shares mean none", Config{MalformedShare: -1, DuplicateShare: -1, AnomalyRate: -1}, nil},
		{"too many tenants", Config{Tenants: maxTenants + 1}, []string{"tenants"}},
		{"several at once", Config{Tenants: -1, Duration: time.Second, MaxEvents: -5, MalformedShare: 2},
			[]string{"tenants", "duration", "max events", "malformed share"}},
		{"tail above top", Config{TopOrdersPerDay: 10, TailOrdersPerDay: 20}, []string{"tail orders"}},
		{"shares over one", Config{OutOfOrderShare: 0.7, LateShare: 0.6}, []string{"out-of-order share plus late"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, nerr := New(tt.cfg); !errors.Is(nerr, nerr) || nerr == nil {
				t.Errorf("New accepted an invalid config")
			}
		})
	}
}

func BenchmarkNext(b *testing.B) {
	g, err := New(Config{Seed: 1, Tenants: 200, Duration: 3 * 366 * 24 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := g.Next(); !ok {
			b.Fatal("generator ran dry")
		}
	}
}
