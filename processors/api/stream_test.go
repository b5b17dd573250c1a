package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors"
)

type sse struct{ name, id, data string }

// subscribe opens the tenant's stream and returns its events; the first
// read (the "connected" comment) has arrived when it returns.
func subscribe(t *testing.T, f *fixture, ctx context.Context, path string) <-chan sse {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.http.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secretAcme)
	resp, err := f.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() && sc.Text() != ": connected" {
	}
	out := make(chan sse, 64)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		var ev sse
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					out <- ev
				}
				ev = sse{}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[len("event: "):]
			case strings.HasPrefix(line, "id: "):
				ev.id = line[len("id: "):]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[len("data: "):]
			}
		}
	}()
	return out
}

// next waits for the next event of the name; the timeout only bounds a
// failing test.
func next(t *testing.T, ch <-chan sse, name string) sse {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended before a %s event", name)
			}
			if ev.name == name {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", name)
		}
	}
}

type nopPublisher struct{}

func (nopPublisher) Publish(context.Context, events.Insight) error { return nil }

func order(t *testing.T, dec *events.Decoder, id, typ, amount string, at time.Time) *events.Order {
	t.Helper()
	payload := fmt.Sprintf(`{"schema_version":1,"event_id":"%s-%s","event_type":"%s","tenant_id":"acme","order_id":"%s",
		"customer_id":"c-%s","status":"x","total_amount":"%s","currency":"USD","occurred_at":"%s",
		"items":[{"sku":"S1","quantity":2,"unit_price":"1.00"}]}`, id, typ, typ, id, id, amount, at.Format(time.RFC3339))
	o, err := dec.Decode([]byte(payload), nil, at)
	if err != nil {
		t.Fatal(err)
	}
	return &o
}

// TestStreamDeliversWindowClosedAfterSubscribe runs orders through the real
// windows engine and outputs after a client subscribed, and checks the
// client receives the closed hour with the orders' exact figures.
func TestStreamDeliversWindowClosedAfterSubscribe(t *testing.T) {
	f := newFixture(t, nil)
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	out := processors.NewOutputs(processors.OutputsConfig{Workers: 2}, nopPublisher{}, nil, log)
	defer func() {
		if err := out.Close(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	out.Observe(f.srv.Observe)
	ws, err := processors.NewWindowState(processors.WindowStateConfig{}, out.Emit, processors.NewStats(), log)
	if err != nil {
		t.Fatal(err)
	}
	hour := time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC)
	// the tenant exists before the client subscribes (an earlier window)
	f.srv.Observe(window("acme", "1h", hour.Add(-time.Hour), 1, "USD", 1, 1, 100))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := subscribe(t, f, ctx, "/v1/tenants/acme/stream?window=1h")

	dec := events.NewDecoder(events.Limits{})
	var revenue int64
	amounts := []string{"12.34", "0.99", "100.00", "7.50"}
	for i, a := range amounts {
		at := hour.Add(time.Duration(5+10*i) * time.Minute)
		for _, typ := range []string{"order.created", "order.completed"} {
			if err := ws.Apply(order(t, dec, fmt.Sprintf("o%d", i), typ, a, at), at); err != nil {
				t.Fatal(err)
			}
		}
		v, err := events.ParseAmount(a, 2)
		if err != nil {
			t.Fatal(err)
		}
		revenue += v
	}
	// processing time moves past the idle timeout: the hour closes
	ws.Advance(hour.Add(2 * time.Hour))

	ev := next(t, ch, EventWindow)
	var item WindowItem
	if err := json.Unmarshal([]byte(ev.data), &item); err != nil {
		t.Fatal(err)
	}
	if !item.Window.Start.Equal(hour) || item.Window.Size != "1h" || item.Partial || item.TenantID != "acme" {
		t.Fatalf("window event %+v", item)
	}
	if item.Metrics.Orders != int64(len(amounts)) || item.Metrics.Revenue != revenue || item.Metrics.ItemsSold != 2*int64(len(amounts)) {
		t.Fatalf("figures %+v, want %d orders and revenue %d", *item.Metrics, len(amounts), revenue)
	}
	if ev.id != item.InsightID {
		t.Fatalf("event id %q, want the insight id %q", ev.id, item.InsightID)
	}
	// the History has it too
	var p MetricsPage
	f.get(t, secretAcme, q("/v1/tenants/acme/metrics", "from", hour.Add(-2*time.Hour).Format(time.RFC3339), "to", hour.Add(time.Hour).Format(time.RFC3339)), &p)
	if len(p.Items) != 2 || p.Items[1].Metrics.Revenue != revenue {
		t.Fatalf("metrics after the close: %+v", p.Items)
	}
}

func TestStreamInsightsAndIncidents(t *testing.T) {
	f := seeded(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := subscribe(t, f, ctx, "/v1/tenants/acme/stream")
	// another tenant's insight never reaches acme's stream
	f.srv.Observe(anomaly("globex", events.KindAnomalyOpened, "g1", "revenue", fixedNow.Add(-2*time.Hour), events.SeverityCritical, -9))
	f.srv.Observe(anomaly("acme", events.KindAnomalyOpened, "a1", "orders", fixedNow.Add(-2*time.Hour), events.SeverityWarning, -3))
	ev := next(t, ch, EventInsight)
	var in events.Insight
	if err := json.Unmarshal([]byte(ev.data), &in); err != nil {
		t.Fatal(err)
	}
	if in.TenantID != "acme" || in.IncidentID != "a1" {
		t.Fatalf("insight event %+v", in)
	}
	var inc Incident
	if err := json.Unmarshal([]byte(next(t, ch, EventIncident).data), &inc); err != nil {
		t.Fatal(err)
	}
	if inc.IncidentID != "a1" || inc.State != StateOpen {
		t.Fatalf("incident event %+v", inc)
	}
}

// TestSlowStreamClientIsDropped: a client that does not read is dropped
// once its queue is full, and Observe never blocks on it.
func TestSlowStreamClientIsDropped(t *testing.T) {
	f := seeded(t, func(c *Config) { c.StreamBuffer = 4 })
	sub := f.srv.hub.subscribe("acme", nil)
	for i := range 100 {
		f.srv.Observe(window("acme", "1h", fixedNow.Add(-time.Duration(i)*time.Hour).Truncate(time.Hour), 1, "USD", 1, 1, 1))
	}
	n := 0
	for range sub.ch {
		n++
	}
	if n != 4 {
		t.Fatalf("a dropped client got %d events, want its queue of 4 then the end", n)
	}
	f.srv.hub.unsubscribe("acme", sub) // already gone: no double close
}

func TestStreamsPerTokenCapped(t *testing.T) {
	f := seeded(t, func(c *Config) { c.MaxStreamsPerToken = 1 })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	subscribe(t, f, ctx, "/v1/tenants/acme/stream")
	code, e := f.errorOf(t, secretAcme, "/v1/tenants/acme/stream")
	if code != http.StatusTooManyRequests || e.Error.Code != "too_many_streams" {
		t.Fatalf("second stream: %d %+v", code, e)
	}
}
