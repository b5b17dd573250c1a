package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
)

// writeGenerated writes generated traffic as NDJSON, as `pulse generate
// --out` does, and returns the file and the labels.
func writeGenerated(t *testing.T, cfg eventgen.Config) (string, []eventgen.Label) {
	t.Helper()
	cfg.PayloadOnly = true
	gen, err := eventgen.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for {
		m, ok := gen.Next()
		if !ok {
			break
		}
		b.Write(m.Payload)
		b.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "events.ndjson")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, gen.Labels()
}

func runBacktest(t *testing.T, events string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "insights.ndjson")
	c := &BacktestCmd{Events: events, Out: out, OutOfOrderness: time.Minute, CorrectionHorizon: 24 * time.Hour,
		IdleTimeout: 2 * time.Minute, Zone: "UTC", MaxInvalidLogged: 0, DetectSizes: []string{"1h", "1d"},
		DetectThreshold: 2.5, DetectCritical: 4}
	if err := c.Run(&Globals{Ctx: context.Background(), Log: zerolog.Nop()}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pulse backtest runs the same shard state as pulse run: its output holds
// the windows and the detector, analytics and recommendation insights, and
// is byte-identical on a rerun.
func TestBacktestEmitsEveryInsightKindDeterministically(t *testing.T) {
	path, labels := writeGenerated(t, eventgen.Config{Seed: 5, Tenants: 6, Start: eventgen.DefaultStart,
		Duration: 15 * 24 * time.Hour, TopOrdersPerDay: 1500, AnomalyRate: 2})
	first := runBacktest(t, path)
	if again := runBacktest(t, path); !bytes.Equal(first, again) {
		t.Fatal("two backtests of one file differ")
	}
	kinds := map[events.Kind]int{}
	opened := map[string]bool{}
	for _, line := range bytes.Split(bytes.TrimSpace(first), []byte("\n")) {
		var in events.Insight
		if err := json.Unmarshal(line, &in); err != nil {
			t.Fatalf("bad insight line %s: %v", line, err)
		}
		kinds[in.Kind]++
		if in.Kind == events.KindAnomalyOpened {
			opened[in.TenantID] = true
		}
		if in.InsightID == "" || in.TenantID == "" || in.Message == "" {
			t.Fatalf("incomplete insight %s", line)
		}
	}
	for _, k := range []events.Kind{events.KindWindowMetrics, events.KindAnomalyOpened, "trend", "forecast", "seasonality", "segments.daily"} {
		if kinds[k] == 0 {
			t.Errorf("no %s insight in the backtest (kinds: %v)", k, kinds)
		}
	}
	for _, l := range labels {
		if !opened[l.Tenant] {
			t.Errorf("tenant %s had an injected %s but no anomaly was opened for it", l.Tenant, l.Kind)
		}
	}
}
