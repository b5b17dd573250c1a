package schema_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/schema"
)

func compile(t *testing.T, name string, doc []byte) *jsonschema.Schema {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(name, v); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func instance(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The schema and the decoder must agree: every order the decoder accepts,
// and its own wire form, validates against the published schema.
func TestOrderSchemaAgreesWithDecoder(t *testing.T) {
	s := compile(t, "order.v1.json", schema.OrderV1)
	paths, _ := filepath.Glob("../../testdata/orders/*.json")
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	accepted := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		o, err := events.NewDecoder(events.Limits{}).Decode(b, nil, now)
		if err != nil {
			continue
		}
		accepted++
		if err := s.Validate(instance(t, b)); err != nil {
			t.Errorf("%s accepted by the decoder but not the schema: %v", p, err)
		}
		wire, _ := o.MarshalJSON()
		if err := s.Validate(instance(t, wire)); err != nil {
			t.Errorf("wire form of %s fails the schema: %v", p, err)
		}
	}
	if accepted < 3 {
		t.Fatalf("only %d seed orders accepted", accepted)
	}
	bad := `{"schema_version":1,"event_id":"e","event_type":"order.shipped","tenant_id":"a","order_id":"o","total_amount":"1","currency":"USD","occurred_at":"2026-11-27T01:00:00Z"}`
	if err := s.Validate(instance(t, []byte(bad))); err == nil {
		t.Error("schema accepted an unknown event_type")
	}
}

func TestInsightSchemaAgreesWithTypes(t *testing.T) {
	s := compile(t, "insight.v1.json", schema.InsightV1)
	w := events.Window{Start: time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC), Size: "1h"}
	w.End = w.Start.Add(time.Hour)
	in := events.Insight{
		SchemaVersion: events.InsightSchemaVersion, TenantID: "acme", Kind: events.KindWindowMetrics,
		Currency: "USD", Window: w, Severity: events.SeverityInfo, Message: "Window closed.",
		GeneratedAt: w.End, Revision: 1,
		Metrics: &events.WindowMetrics{Currency: "USD", Orders: 4, CompletedOrders: 2, CompletedRevenue: 1999, Revenue: 1999},
	}
	in.InsightID = events.InsightID(in.TenantID, in.Kind, in.Metric, in.Currency, w, in.Revision)
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(instance(t, b)); err != nil {
		t.Fatalf("insight %s fails its schema: %v", b, err)
	}
	broken := strings.Replace(string(b), `"severity":"info"`, `"severity":"loud"`, 1)
	if err := s.Validate(instance(t, []byte(broken))); err == nil {
		t.Fatal("schema accepted severity loud")
	}
}
