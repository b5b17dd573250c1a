package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events/eventgen"
)

// TestGenerateToFile runs the subcommand as the CLI would, into a file.
func TestGenerateToFile(t *testing.T) {
	dir := t.TempDir()
	out, labels := filepath.Join(dir, "orders.ndjson"), filepath.Join(dir, "labels.json")
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	cmd := &GenerateCmd{Tenants: 8, Seed: 2, Start: start, Duration: 72 * time.Hour, Events: 3000,
		Malformed: 0.01, Dupes: 0.02, Anomalies: 3, Out: out, Labels: labels}
	if err := cmd.Run(&Globals{Ctx: t.Context(), Log: zerolog.Nop()}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, maxLine)
	lines := 0
	for sc.Scan() {
		lines++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if lines != 3000 {
		t.Errorf("%d lines, want 3000 (--events)", lines)
	}
	b, err := os.ReadFile(labels)
	if err != nil {
		t.Fatal(err)
	}
	var ls []eventgen.Label
	if err := json.Unmarshal(b, &ls); err != nil {
		t.Fatalf("labels file: %v", err)
	}
	for _, l := range ls {
		if l.Start.Before(start) || l.End.After(start.Add(72*time.Hour)) || l.Tenant == "" || l.Metric == "" || l.Kind == "" {
			t.Errorf("label %+v outside the span or incomplete", l)
		}
	}
}

func TestGenerateFlagZeroMeansNone(t *testing.T) {
	cfg := (&GenerateCmd{Tenants: 3, Duration: time.Hour, Malformed: 0, Dupes: 0, Anomalies: 0}).config(time.Now())
	g, err := eventgen.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for {
		m, ok := g.Next()
		if !ok {
			break
		}
		if m.Expect != "" || m.Duplicate {
			t.Fatalf("--malformed 0 --duplicates 0 generated %+v", m)
		}
	}
	if len(g.Labels()) != 0 {
		t.Errorf("--anomalies 0 placed %d anomalies", len(g.Labels()))
	}
}
