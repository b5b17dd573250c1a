package recommend

import (
	"encoding/json"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// strongShop adds 8 baskets of each pair, always together, and 60 baskets
// of one filler item each (F0..F6), all completed at at.
func strongShop(m *Model, from int, at time.Time, pairs ...[2]string) int {
	id := from
	for _, p := range pairs {
		for range 8 {
			id++
			m.Observe(order("t1", "o"+strconv.Itoa(id), events.OrderCompleted, at, p[0], p[1]))
		}
	}
	for range 60 {
		id++
		m.Observe(order("t1", "o"+strconv.Itoa(id), events.OrderCompleted, at, "F"+strconv.Itoa(id%7)))
	}
	return id
}

func TestInsights(t *testing.T) {
	m := newModel(t, Config{HalfLife: -1})
	day := t0.Add(10 * time.Hour)
	if got := m.Insights("t1", day); got != nil {
		t.Fatalf("insight for an unknown tenant: %+v", got)
	}
	id := strongShop(m, 0, t0, [2]string{"P", "Q"}, [2]string{"R", "S"})
	got := m.Insights("t1", day)
	if len(got) != 1 {
		t.Fatalf("got %d insights, want 1", len(got))
	}
	in := got[0]
	// N=76, n(P)=n(Q)=8, n(P,Q)=8: lift 8·76/64 = 9.5, same for R,S.
	wantWin := events.Window{Start: t0, End: t0.Add(24 * time.Hour), Size: "1d"}
	if in.Kind != KindRecommendation || in.TenantID != "t1" || in.Metric != MetricBoughtTogether ||
		in.Window != wantWin || in.InsightID != events.InsightID("t1", KindRecommendation, MetricBoughtTogether, "", wantWin, 0) ||
		!near(in.Observed, 9.5) || in.Severity != events.SeverityInfo || in.History != 76 || !in.GeneratedAt.Equal(day) {
		t.Errorf("insight %+v", in)
	}
	for _, s := range []string{"Customers who buy P also buy Q 9.5 times more often than average", "Customers who buy R also buy S 9.5"} {
		if !strings.Contains(in.Message, s) {
			t.Errorf("message %q lacks %q", in.Message, s)
		}
	}
	// A retry in the same period returns the same insight.
	if again := m.Insights("t1", day.Add(time.Hour)); len(again) != 1 || again[0].InsightID != in.InsightID || again[0].Message != in.Message {
		t.Errorf("retry in the period: %+v", again)
	}
	// Next period: P,Q and R,S are not new; nothing to say.
	if next := m.Insights("t1", day.Add(24*time.Hour)); next != nil {
		t.Errorf("announced pairs again: %+v", next)
	}
	// A new pair appears: only it is announced, under a new id.
	strongShop(m, id, t0.Add(30*time.Hour), [2]string{"U", "V"})
	next := m.Insights("t1", day.Add(48*time.Hour))
	if len(next) != 1 || !strings.Contains(next[0].Message, "buy U also buy V") || strings.Contains(next[0].Message, " P ") ||
		next[0].InsightID == in.InsightID {
		t.Errorf("new pair insight: %+v", next)
	}
}

func TestInsightsCap(t *testing.T) {
	m := newModel(t, Config{HalfLife: -1, InsightPairs: 2})
	var pairs [][2]string
	for i := range 5 {
		pairs = append(pairs, [2]string{"A" + strconv.Itoa(i), "B" + strconv.Itoa(i)})
	}
	strongShop(m, 0, t0, pairs...)
	first := m.Insights("t1", t0)
	second := m.Insights("t1", t0.Add(24*time.Hour))
	third := m.Insights("t1", t0.Add(48*time.Hour))
	fourth := m.Insights("t1", t0.Add(72*time.Hour))
	if len(first) != 1 || len(second) != 1 || len(third) != 1 || fourth != nil {
		t.Fatalf("insights %d %d %d %v: want 2+2+1 pairs then none", len(first), len(second), len(third), fourth)
	}
	if n := strings.Count(first[0].Message, "Customers who buy"); n != 2 {
		t.Errorf("first insight lists %d pairs, want 2", n)
	}
}

// TestSnapshotConcurrentReaders queries a published snapshot from several
// goroutines while the owner keeps learning (run with -race).
func TestSnapshotConcurrentReaders(t *testing.T) {
	m := newModel(t, Config{HalfLife: -1})
	id := strongShop(m, 0, t0, [2]string{"P", "Q"})
	snap := m.Snapshot("t1", t0)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				r, err := snap.Recommend("P", 5)
				if err != nil || len(r.Items) != 1 || r.Items[0].SKU != "Q" {
					t.Errorf("snapshot answer %+v %v", r, err)
					return
				}
			}
		})
	}
	strongShop(m, id, t0, [2]string{"P", "Z"}) // the owner goes on
	wg.Wait()
	r, err := m.Recommend("t1", "P", 5, t0)
	if err != nil || len(r.Items) != 2 {
		t.Errorf("live model after more traffic: %+v %v", r, err)
	}
	if snap.Tenant() != "t1" || !snap.At().Equal(t0) {
		t.Errorf("snapshot of %s at %s", snap.Tenant(), snap.At())
	}
}

// TestPairSchema: the BigQuery schema file and PairRow agree, field by
// field, and a row's InsertID is stable and distinct per pair.
func TestPairSchema(t *testing.T) {
	raw, err := os.ReadFile("../../sinks/bigquery/schema/recommendation_pairs.json")
	if err != nil {
		t.Fatal(err)
	}
	var fields []struct{ Name, Type, Mode string }
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeFor[PairRow]()
	if len(fields) != typ.NumField() {
		t.Fatalf("schema has %d fields, PairRow %d", len(fields), typ.NumField())
	}
	for i, f := range fields {
		sf := typ.Field(i)
		bqType := map[reflect.Kind]string{reflect.String: "STRING", reflect.Float64: "FLOAT", reflect.Struct: "TIMESTAMP"}[sf.Type.Kind()]
		if sf.Tag.Get("bigquery") != f.Name || sf.Tag.Get("json") != f.Name || bqType != f.Type {
			t.Errorf("field %d: schema %s %s, struct %s %s %v", i, f.Name, f.Type, sf.Name, sf.Tag, sf.Type)
		}
	}
	a := PairRow{TenantID: "t1", ComputedAt: t0, SKUA: "A", SKUB: "B"}
	b := a
	b.SKUB = "C"
	again := a
	if a.InsertID() != again.InsertID() || a.InsertID() == b.InsertID() {
		t.Error("insert ids not stable or not distinct")
	}
}
