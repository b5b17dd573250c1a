package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
	"github.com/olympus-cloud/pulse/processors/api/ask"
)

// TestAskOfflineMatchesTruth answers "revenue yesterday" from a generated
// NDJSON file and checks the figure against the generator's brute-force
// daily truth, to the minor unit.
func TestAskOfflineMatchesTruth(t *testing.T) {
	start := time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC)
	gen, err := eventgen.New(eventgen.Config{Seed: 5, Tenants: 1, Now: start.Add(72 * time.Hour), Backfill: 72 * time.Hour,
		Duration: 72 * time.Hour, MaxEvents: 20000, LateShare: -1, PayloadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	truth := eventgen.NewTruth(24 * time.Hour)
	var buf bytes.Buffer
	tenant := ""
	for {
		m, ok := gen.Next()
		if !ok {
			break
		}
		truth.Add(&m)
		buf.Write(m.Payload)
		buf.WriteByte('\n')
		if tenant == "" && m.Attributes["tenant_id"] != "" {
			tenant = m.Attributes["tenant_id"]
		}
	}
	path := filepath.Join(t.TempDir(), "events.ndjson")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if tenant == "" {
		for k := range truth.Windows() {
			tenant = k.Tenant
			break
		}
	}
	c := &AskCmd{Tenant: tenant, Events: path}
	h, _, err := c.offline(context.Background(), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	// yesterday is the tenant's first day with events, which is complete
	// because events went on into the next day
	var days []time.Time
	for k := range truth.Windows() {
		if k.Tenant == tenant {
			days = append(days, k.Start)
		}
	}
	slices.SortFunc(days, func(a, b time.Time) int { return a.Compare(b) })
	if len(days) < 2 {
		t.Fatalf("the generator made %d days of orders for %s, want 2 or more", len(days), tenant)
	}
	y := days[0]
	res := ask.Ask(h, tenant, "revenue yesterday", y.Add(29*time.Hour), ask.Config{})
	want := map[string]int64{}
	for k, m := range truth.Windows() {
		if k.Tenant == tenant && k.Start.Equal(y) {
			want[k.Currency] = m.Revenue
		}
	}
	if len(want) == 0 {
		t.Fatalf("the generator made no orders for %s on %s", tenant, y)
	}
	if len(res.Figures) != len(want) {
		t.Fatalf("answer %q has %d figures, want %d currencies", res.Answer, len(res.Figures), len(want))
	}
	for _, f := range res.Figures {
		d, _ := events.MinorDigits(f.Currency)
		if f.Value != events.FormatMinor(want[f.Currency], d) {
			t.Errorf("revenue yesterday in %s: %s, want %s (%s)", f.Currency, f.Value, events.FormatMinor(want[f.Currency], d), res.Answer)
		}
	}
	t.Log(res.Answer)
}
