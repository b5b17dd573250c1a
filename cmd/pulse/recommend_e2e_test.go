package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors"
	"github.com/olympus-cloud/pulse/processors/api"
	"github.com/olympus-cloud/pulse/processors/recommend"
	"github.com/olympus-cloud/pulse/sinks/bigquery"
)

// TestRecommendationsThroughPulseRun publishes completed orders with a
// planted pair through `pulse run` and reads the pair back from
// /v1/tenants/{tenant}/recommendations: 20 baskets hold SKU-1 and SKU-7,
// 20 hold two of ten other SKUs, so SKU-7 is bought with SKU-1 with
// confidence 1 and lift 40·20/(20·20) = 2.
func TestRecommendationsThroughPulseRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testRunConfig(t)
	cfg.RecommendSnapshotEvery = 100 * time.Millisecond
	cfg.APIRate, cfg.APIBurst = 1000, 1000 // the test polls; rate limits are tested in processors/api
	sum := sha256.Sum256([]byte("s3cret"))
	cfg.APITokens = "test:" + hex.EncodeToString(sum[:]) + ":acme"
	p, stop := startTestPipeline(t, ctx, cfg, zerolog.WarnLevel)
	defer stop()

	get := func(path string) (int, api.RecommendationsResponse) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+p.ops.Addr()+path, nil)
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body api.RecommendationsResponse
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, body
	}
	if code, _ := get("/v1/tenants/acme/recommendations?sku=SKU-1"); code != http.StatusNotFound {
		t.Fatalf("before any order: %d, want 404 tenant_not_found", code)
	}

	publishPlantedPair(t, ctx, p, time.Now().UTC())

	var got api.RecommendationsResponse
	waitFor(t, 20*time.Second, "the planted pair at /recommendations", func() bool {
		code, body := get("/v1/tenants/acme/recommendations?sku=SKU-1&limit=5")
		got = body
		return code == http.StatusOK && body.Baskets > 39.9
	})
	if got.ColdStart != "" || len(got.Items) != 1 {
		t.Fatalf("SKU-1: %+v, want exactly SKU-7", got)
	}
	it := got.Items[0]
	// Baskets completed seconds apart weigh a little differently at the
	// default 30-day half-life (2^(-40s/30d) ≈ 1-1e-5), so the figures
	// are the hand-computed ones within 1e-5.
	if it.SKU != "SKU-7" || !closeEnough(it.Lift, 2, 1e-5) || !closeEnough(it.Confidence, 1, 1e-9) ||
		!closeEnough(it.Support, 0.5, 1e-5) || !closeEnough(it.Count, 20, 1e-5) {
		t.Errorf("SKU-1 → %+v, want SKU-7 with lift 2, confidence 1, support 0.5, 20 baskets", it)
	}
	// A filler SKU is in 4 baskets: under the default 5, a cold start.
	if code, body := get("/v1/tenants/acme/recommendations?sku=F-0"); code != http.StatusOK || body.ColdStart != recommend.ColdSKU {
		t.Errorf("F-0: %d %+v, want cold start %s", code, body, recommend.ColdSKU)
	}
	if code, _ := get("/v1/tenants/globex/recommendations?sku=SKU-1"); code != http.StatusForbidden {
		t.Errorf("other tenant: %d, want 403", code)
	}
}

// publishPlantedPair publishes 40 completed orders of acme ending at now:
// the even ones buy SKU-1 and SKU-7, the odd ones two of ten filler SKUs.
func publishPlantedPair(t *testing.T, ctx context.Context, p *pipeline, now time.Time) {
	t.Helper()
	pub := p.conn.Client.Publisher(p.cfg.OrdersTopic)
	defer pub.Stop()
	var results []*pubsub.PublishResult
	for i := range 40 {
		skus := []string{"SKU-1", "SKU-7"}
		if i%2 == 1 {
			skus = []string{"F-" + strconv.Itoa(i%10), "F-" + strconv.Itoa((i+3)%10)}
		}
		o := events.Order{EventID: "evt_" + strconv.Itoa(i), Type: events.OrderCompleted, TenantID: "acme",
			OrderID: "ord_" + strconv.Itoa(i), Status: "completed", Amount: 2000, Currency: "USD",
			OccurredAt: now.Add(-time.Duration(40-i) * time.Second)}
		for _, s := range skus {
			o.Items = append(o.Items, events.Item{SKU: s, Quantity: 1, UnitPrice: 1000})
		}
		payload, err := o.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, pub.Publish(ctx, &pubsub.Message{Data: payload, Attributes: o.Attributes()}))
	}
	for _, r := range results {
		if _, err := r.Get(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func closeEnough(a, b, rel float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= rel*max(1, b)
}

// TestPairsReachTheLocalTableThroughPulseRun: with no BigQuery project,
// the shard's insight tick writes the tenant's pairs through Outputs and
// the row sink to data/bigquery/recommendation_pairs/<day>/, one row per
// scorable pair with recommend's insert id fields.
func TestPairsReachTheLocalTableThroughPulseRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testRunConfig(t)
	cfg.RecommendSnapshotEvery = 100 * time.Millisecond
	p, err := startPipeline(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = p.shutdown() // the test failed already
		}
	}()
	publishPlantedPair(t, ctx, p, time.Now().UTC())
	waitFor(t, 20*time.Second, "acme's 40 baskets in the model", func() bool {
		s := p.recs.Snapshot("acme")
		if s == nil {
			return false
		}
		r, err := s.Recommend("SKU-1", 1)
		return err == nil && r.Baskets > 39.9
	})
	// The next recommendation period: the shard's tick announces the pair
	// and exports the tenant's pairs.
	tick := time.Now().Add(24 * time.Hour)
	var want []recommend.PairRow
	err = p.shards.Do(ctx, "acme", func(st processors.ShardState) {
		ws := st.(*processors.WindowState)
		want = ws.Recommendations().Pairs("acme", tick)
		if err := ws.Advance(tick); err != nil {
			t.Error(err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	stopped = true
	if err := p.shutdown(); err != nil { // drains the row writes
		t.Fatal(err)
	}
	// The planted pair (lift 2) and the five filler pairs, each in 4
	// baskets (lift 10).
	if len(want) != 6 {
		t.Fatalf("model pairs %+v, want 6", want)
	}
	files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "recommendation_pairs", tick.UTC().Format(time.DateOnly), "*.ndjson"))
	got := map[[2]string]map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var r map[string]any
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			k := [2]string{r["sku_a"].(string), r["sku_b"].(string)}
			if got[k] != nil {
				t.Errorf("pair %v written twice", k)
			}
			got[k] = r
		}
	}
	if len(got) != len(want) {
		t.Fatalf("recommendation_pairs holds %d pairs, want %d", len(got), len(want))
	}
	for _, w := range want {
		r := got[[2]string{w.SKUA, w.SKUB}]
		if r == nil || r["tenant_id"] != "acme" || r["lift"] != w.Lift || r["pair_count"] != w.PairCount || r["baskets"] != w.Baskets ||
			r["confidence_a_b"] != w.ConfidenceAB || r["computed_at"] != w.ComputedAt.Format("2006-01-02T15:04:05.999999Z") {
			t.Errorf("row %v, want %+v", r, w)
		}
	}
	if r := got[[2]string{"SKU-1", "SKU-7"}]; r == nil || !closeEnough(r["lift"].(float64), 2, 1e-5) {
		t.Errorf("planted pair row %v, want lift 2", r)
	}
	// The shard's own next tick is back in today's period, which exports
	// again (rows of today's folder): count the losses, not the rows.
	if n := p.outputs.PairRowsLost.Load(); n != 0 {
		t.Errorf("outputs lost %d pair rows", n)
	}
}

// TestPairRowsCopyEveryField: the adapter between processors and sinks
// copies every field of recommend.PairRow by name, and the insert id is
// recommend's, so a column added on one side fails here.
func TestPairRowsCopyEveryField(t *testing.T) {
	var got []bigquery.PairRow
	sink := pairRows{capturePairs{&got}}
	in := recommend.PairRow{TenantID: "acme", ComputedAt: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), SKUA: "A", SKUB: "B",
		PairCount: 1, PairCountError: 2, CountA: 3, CountB: 4, Baskets: 5, Support: 6, ConfidenceAB: 7, ConfidenceBA: 8, Lift: 9, HalfLifeHours: 10}
	if errs := sink.WritePairs(context.Background(), []recommend.PairRow{in}); errs != nil {
		t.Fatal(errs)
	}
	src, dst := reflect.ValueOf(in), reflect.ValueOf(got[0])
	for i := range src.NumField() {
		name := src.Type().Field(i).Name
		f := dst.FieldByName(name)
		if !f.IsValid() || !reflect.DeepEqual(f.Interface(), src.Field(i).Interface()) {
			t.Errorf("field %s: %v, want %v", name, f, src.Field(i))
		}
	}
	if got[0].InsertID != in.InsertID() {
		t.Errorf("insert id %q, want recommend's %q", got[0].InsertID, in.InsertID())
	}
}

type capturePairs struct{ rows *[]bigquery.PairRow }

func (capturePairs) WriteOrder(context.Context, *events.Order, bigquery.OrderMeta) error { return nil }
func (capturePairs) WriteInsight(context.Context, events.Insight) error                  { return nil }
func (capturePairs) Close(context.Context) error                                         { return nil }
func (capturePairs) Stats() bigquery.Stats                                               { return bigquery.Stats{} }
func (c capturePairs) WritePairs(_ context.Context, rows []bigquery.PairRow) []error {
	*c.rows = append(*c.rows, rows...)
	return nil
}
