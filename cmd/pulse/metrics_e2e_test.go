package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
	"github.com/olympus-cloud/pulse/sinks/bigquery"
)

// sumOf adds the scraped series of a metric whose labels include every
// given name="value" pair.
func sumOf(metrics map[string]float64, name string, labels ...string) float64 {
	var s float64
	for k, v := range metrics {
		base, rest, _ := strings.Cut(k, "{")
		if base != name {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(rest, l)
		}
		if ok {
			s += v
		}
	}
	return s
}

// kindCounts counts the distinct messages a subscriber received, by insight
// kind and severity ("kind/severity").
func kindCounts(t *testing.T, cs ...*collected) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, c := range cs {
		c.mu.Lock()
		seen := map[string]bool{}
		for _, m := range c.msgs {
			if seen[m.ID] {
				continue // a redelivery to the test's subscriber
			}
			seen[m.ID] = true
			var in events.Insight
			if err := json.Unmarshal(m.Data, &in); err != nil {
				c.mu.Unlock()
				t.Fatalf("undecodable insight %s: %v", m.Data, err)
			}
			out[string(in.Kind)+"/"+string(in.Severity)]++
		}
		c.mu.Unlock()
	}
	return out
}

// ndjsonLines counts the complete lines of a table's local files.
func ndjsonLines(t *testing.T, dir, table string) int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, table, "*", "*.ndjson"))
	n := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			n++
		}
		fh.Close()
	}
	return n
}

// TestMetricsAgreeWithWhatHappened runs generated traffic (duplicates, late
// and malformed events) through the live pipeline and checks that /metrics
// tells what a subscriber, the NDJSON files and the generator know: window
// closes equal the window results on the tenant-metrics topic, insights by
// kind and severity equal what subscribers of both topics received, sink
// rows equal the lines in the files, and the event counters equal what was
// planted.
func TestMetricsAgreeWithWhatHappened(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testRunConfig(t)
	cfg.IdleTimeout = time.Second // the last windows close on idleness
	p, err := startPipeline(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatal(err)
	}
	metricsTopic := subscribeAll(t, ctx, p, cfg.MetricsTopic, "test-metrics")
	insightsTopic := subscribeAll(t, ctx, p, cfg.InsightsTopic, "test-insights")

	gen, err := eventgen.New(eventgen.Config{Seed: 31, Tenants: 6, Now: time.Now(), Duration: 8 * time.Hour,
		MaxEvents: 2000, DuplicateShare: 0.05, LateShare: 0.02})
	if err != nil {
		t.Fatal(err)
	}
	var valid, duplicates, late int64
	reasons := map[events.Reason]int64{}
	tenants := map[string]bool{}
	published := publishGenerated(t, ctx, p.conn.Client, cfg.OrdersTopic, gen, func(m *eventgen.Message) {
		switch {
		case m.Expect != "":
			reasons[m.Expect]++
			return
		case m.Duplicate:
			duplicates++
		case m.Late:
			late++
		}
		valid++
		tenants[m.Order.TenantID] = true
	})
	if duplicates == 0 || len(reasons) == 0 {
		t.Fatalf("generator planted %d duplicates, %d late events, dead letters %v", duplicates, late, reasons)
	}
	waitFor(t, 90*time.Second, "every message acked", func() bool { return p.stats.Acked.Load() >= published })

	url := "http://" + p.ops.Addr() + "/metrics"
	var m map[string]float64
	mismatches := func() []string {
		m = scrape(t, url)
		var bad []string
		check := func(what string, got, want float64) {
			if got != want {
				bad = append(bad, fmt.Sprintf("%s = %v, want %v", what, got, want))
			}
		}
		check("windows closed (first results)", sumOf(m, "pulse_windows_closed_total", `kind="window.metrics"`),
			float64(kindTotal(kindCounts(t, metricsTopic), events.KindWindowMetrics)))
		check("windows closed (corrections)", sumOf(m, "pulse_windows_closed_total", `kind="window.correction"`),
			float64(kindTotal(kindCounts(t, metricsTopic), events.KindWindowCorrection)))
		for ks, n := range kindCounts(t, metricsTopic, insightsTopic) {
			kind, sev, _ := strings.Cut(ks, "/")
			check("insights published "+ks, m[`pulse_insights_published_total{kind="`+kind+`",severity="`+sev+`"}`], float64(n))
		}
		check("insights published in all", sumOf(m, "pulse_insights_published_total"), float64(sumCounts(kindCounts(t, metricsTopic, insightsTopic))))
		for _, table := range []string{bigquery.TableOrders, bigquery.TableTenantMetrics, bigquery.TableInsights} {
			check("sink rows written to "+table, m[`pulse_sink_rows_total{outcome="written",sink="localfile",table="`+table+`"}`],
				float64(ndjsonLines(t, cfg.DataDir, table)))
		}
		check("events windowed", m["pulse_events_windowed_total"], float64(valid-duplicates))
		check("window tenants", m["pulse_window_tenants"], float64(len(tenants)))
		return bad
	}
	deadline := time.Now().Add(60 * time.Second)
	for bad := mismatches(); len(bad) > 0; bad = mismatches() {
		if time.Now().After(deadline) {
			sort.Strings(bad)
			t.Fatalf("/metrics disagrees with what happened:\n%s", strings.Join(bad, "\n"))
		}
		time.Sleep(200 * time.Millisecond)
	}

	t.Logf("closes %v (corrections %v), insights %v, rows orders/tenant_metrics/insights %v/%v/%v, windowed %v, deduplicated %v (planted %d), late %v dropped %v (planted %d), lag observations %v",
		sumOf(m, "pulse_windows_closed_total"), sumOf(m, "pulse_windows_closed_total", `kind="window.correction"`),
		sumOf(m, "pulse_insights_published_total"),
		m[`pulse_sink_rows_total{outcome="written",sink="localfile",table="orders"}`],
		m[`pulse_sink_rows_total{outcome="written",sink="localfile",table="tenant_metrics"}`],
		m[`pulse_sink_rows_total{outcome="written",sink="localfile",table="insights"}`],
		m["pulse_events_windowed_total"], m["pulse_events_deduplicated_total"], duplicates,
		m["pulse_events_late_total"], m["pulse_events_dropped_late_total"], late, m["pulse_watermark_lag_seconds_count"])
	// Counters that redeliveries may raise but never lower.
	if got := m["pulse_events_deduplicated_total"]; got < float64(duplicates) {
		t.Errorf("deduplicated %v, planted %d duplicates", got, duplicates)
	}
	// 5% of the events are published 5s to 10 min after they occurred
	// (and some 30 min or more), behind later events of their tenant: late
	// for their minute at least.
	if got := m["pulse_events_late_total"] + m["pulse_events_dropped_late_total"]; got == 0 {
		t.Errorf("no late event counted (%d planted 30 min or more late)", late)
	}
	for r, n := range reasons {
		if got := m[`pulse_messages_dead_lettered_total{reason="`+string(r)+`"}`]; got != float64(n) {
			t.Errorf("dead-lettered %s = %v, want %d", r, got, n)
		}
	}
	for name, cond := range map[string]bool{
		"window results on the topic":    sumOf(m, "pulse_windows_closed_total") > 0,
		"rows in every table":            m[`pulse_sink_rows_total{outcome="written",sink="localfile",table="tenant_metrics"}`] > 0,
		"sink batches":                   m[`pulse_sink_flush_duration_seconds_count{sink="localfile"}`] > 0,
		"watermark lag observations":     m["pulse_watermark_lag_seconds_count"] > 0,
		"no rows rejected or failed":     sumOf(m, "pulse_sink_rows_total", `outcome="failed"`)+sumOf(m, "pulse_sink_rows_total", `outcome="rejected"`) == 0,
		"no insight lost":                m["pulse_insights_lost_total"] == 0,
		"no state store series (memory)": sumOf(m, "pulse_state_store_operations_total") == 0,
	} {
		if !cond {
			t.Errorf("%s: false", name)
		}
	}
	if err := p.shutdown(); err != nil {
		t.Fatal(err)
	}
}

func kindTotal(counts map[string]int, kind events.Kind) int {
	n := 0
	for ks, c := range counts {
		if strings.HasPrefix(ks, string(kind)+"/") {
			n += c
		}
	}
	return n
}

func sumCounts(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}
