package bigquery

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
)

// pairFixture is acme's pairs at one instant, by hand: N=10 baskets,
// n(A)=5, n(B)=4, n(C)=3; n(A,B)=3, n(A,C)=3.
func pairFixture(at time.Time) []PairRow {
	mk := func(tenant, a, b string, nab, na, nb, n float64) PairRow {
		return PairRow{InsertID: "pair_" + tenant + "_" + a + "_" + b, TenantID: tenant, ComputedAt: at, SKUA: a, SKUB: b,
			PairCount: nab, CountA: na, CountB: nb, Baskets: n, Support: nab / n, ConfidenceAB: nab / na,
			ConfidenceBA: nab / nb, Lift: nab * n / (na * nb), HalfLifeHours: 720}
	}
	return []PairRow{mk("acme", "A", "C", 3, 5, 3, 10), mk("acme", "A", "B", 3, 5, 4, 10), mk("globex", "X", "Y", 2, 2, 2, 4)}
}

func TestPairsRowEncoding(t *testing.T) {
	at := time.Date(2026, 5, 1, 23, 59, 59, 0, time.UTC)
	p := pairFixture(at)[0]
	r, err := PairsRow(&p)
	if err != nil {
		t.Fatal(err)
	}
	if r.Table != TablePairs || r.InsertID != p.InsertID || r.Day != "2026-05-01" || r.Values["lift"] != 2.0 ||
		r.Values["computed_at"] != "2026-05-01T23:59:59Z" || r.Values["sku_a"] != "A" {
		t.Errorf("row %+v", r)
	}
	schema, err := Schema(TablePairs)
	if err != nil {
		t.Fatal(err)
	}
	if len(schema) != len(r.Values) {
		t.Errorf("row has %d columns, schema %d", len(r.Values), len(schema))
	}
	for _, f := range schema {
		if _, ok := r.Values[f.Name]; !ok {
			t.Errorf("row lacks column %s", f.Name)
		}
	}
	bad := p
	bad.Lift = math.Inf(1)
	var re *RowError
	if _, err := PairsRow(&bad); !errors.As(err, &re) {
		t.Errorf("infinite lift: %v, want a RowError", err)
	}
}

// TestSubmitPairsPerRowOutcomes: refusals at encoding and failures of
// the batch land on their own rows, the rest are nil.
func TestSubmitPairsPerRowOutcomes(t *testing.T) {
	rows := pairFixture(time.Now())
	rows[1].Lift = math.NaN()
	boom := errors.New("backend error")
	var got []string
	errs := SubmitPairs(context.Background(), rows, 1<<20, func(_ context.Context, enc []*Row, sizes []int) []error {
		out := make([]error, len(enc))
		for j, r := range enc {
			got = append(got, r.InsertID)
			if r.Values["tenant_id"] == "globex" {
				out[j] = boom
			}
		}
		return out
	})
	var re *RowError
	if len(got) != 2 || errs == nil || errs[0] != nil || !errors.As(errs[1], &re) || !errors.Is(errs[2], boom) {
		t.Fatalf("submitted %v, outcomes %v", got, errs)
	}
	if errs := SubmitPairs(context.Background(), rows[:1], 1<<20, func(context.Context, []*Row, []int) []error { return nil }); errs != nil {
		t.Errorf("all written: %v, want nil", errs)
	}
}

// TestEmulatorPairs: Init creates recommendation_pairs; pairs written
// (one set twice, as a retried export would) land, and a query returns
// the expected pairs once per insert id.
func TestEmulatorPairs(t *testing.T) {
	e := startEmulator(t, "pulse")
	ctx := context.Background()
	c := e.client(t)
	if err := Init(ctx, c, e.config(), testLogger(t)); err != nil {
		t.Fatal(err)
	}
	cfg := e.config()
	cfg.Batch = BatchPolicy{MaxRows: 2, MaxAge: 20 * time.Millisecond}
	w, err := New(ctx, cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Second)
	rows := pairFixture(at)
	if errs := w.WritePairs(ctx, rows); errs != nil {
		t.Fatal(errs)
	}
	if errs := w.WritePairs(ctx, rows[:2]); errs != nil {
		t.Fatal(errs)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if n := query(t, c, "SELECT COUNT(*) AS n FROM pulse.recommendation_pairs")[0]["n"].(int64); n != 5 {
		t.Errorf("raw table has %d rows, want 5 (3, then 2 again: the emulator keeps duplicates)", n)
	}
	got := query(t, c, `SELECT sku_a, sku_b, lift, confidence_a_b, support, pair_count, computed_at FROM (
		SELECT *, ROW_NUMBER() OVER (PARTITION BY tenant_id, computed_at, sku_a, sku_b) AS k
		FROM pulse.recommendation_pairs WHERE tenant_id = 'acme') WHERE k = 1 ORDER BY lift DESC`)
	want := []struct {
		a, b               string
		lift, conf, sup, n float64
	}{{"A", "C", 2, 0.6, 0.3, 3}, {"A", "B", 1.5, 0.6, 0.3, 3}}
	if len(got) != len(want) {
		t.Fatalf("acme pairs %v, want %v", got, want)
	}
	for i, w := range want {
		g := got[i]
		if g["sku_a"] != w.a || g["sku_b"] != w.b || !nearly(g["lift"], w.lift) || !nearly(g["confidence_a_b"], w.conf) ||
			!nearly(g["support"], w.sup) || !nearly(g["pair_count"], w.n) || !g["computed_at"].(time.Time).Equal(at) {
			t.Errorf("pair %d: %v, want %+v", i, g, w)
		}
	}
}

func nearly(v bigquery.Value, want float64) bool {
	f, ok := v.(float64)
	return ok && math.Abs(f-want) <= 1e-12
}
