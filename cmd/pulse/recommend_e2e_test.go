package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/api"
	"github.com/olympus-cloud/pulse/processors/recommend"
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
	sum := sha256.Sum256([]byte("s3cret"))
	cfg.APITokens = "test:" + hex.EncodeToString(sum[:]) + ":acme"
	p, err := startPipeline(ctx, cfg, zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := p.shutdown(); err != nil {
			t.Error(err)
		}
	}()

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

	now := time.Now().UTC()
	pub := p.conn.Client.Publisher(cfg.OrdersTopic)
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
	pub.Stop()

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

func closeEnough(a, b, rel float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= rel*max(1, b)
}
