package api

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/recommend"
)

// The basket set of acme, by hand (no decay; thresholds: 5 baskets, SKU in
// 2, pair in 2):
//
//	1 A B   2 A B   3 A B C   4 A C   5 A C
//	6 D E   7 D E   8 D       9 B F  10 F
//	11 A E, completed then fully refunded: no trace
//
// N=10; n(A)=5, n(B)=4, n(C)=3, n(D)=3, n(E)=2, n(F)=2;
// n(A,B)=3, n(A,C)=3, n(D,E)=2, n(B,C)=1, n(B,F)=1.
//
//	A→C: confidence 3/5, lift 0.6/(3/10) = 2,   support 3/10
//	A→B: confidence 3/5, lift 0.6/(4/10) = 1.5, support 3/10
//	D→E: confidence 2/3, lift (2/3)/(2/10) = 10/3, support 2/10
//	F: in 2 baskets, its only partner B once: no pair has enough support
//	G: never sold: too little support
//
// initech has 2 baskets (cold tenant); globex has windows but no basket.
func recFixture(t *testing.T) *fixture {
	t.Helper()
	reg := &recommend.Registry{}
	f := seeded(t, func(c *Config) { c.Recommendations = reg })
	m, err := recommend.New(recommend.Config{HalfLife: -1, MinBaskets: 5, MinItemCount: 2, MinPairCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	at := fixedNow.Add(-2 * time.Hour)
	n := 0
	buy := func(tenant string, typ events.EventType, id int, skus ...string) {
		n++
		o := &events.Order{EventID: "e" + strconv.Itoa(n), Type: typ, TenantID: tenant, OrderID: "o" + strconv.Itoa(id),
			Currency: "USD", OccurredAt: at.Add(time.Duration(n) * time.Minute)}
		for _, s := range skus {
			o.Items = append(o.Items, events.Item{SKU: s, Quantity: 1, UnitPrice: 500})
		}
		m.Observe(o)
	}
	for i, b := range [][]string{{"A", "B"}, {"A", "B"}, {"A", "B", "C"}, {"A", "C"}, {"A", "C"},
		{"D", "E"}, {"D", "E"}, {"D"}, {"B", "F"}, {"F"}, {"A", "E"}} {
		buy("acme", events.OrderCompleted, i+1, b...)
	}
	buy("acme", events.OrderRefunded, 11)
	buy("initech", events.OrderCompleted, 1, "A", "B")
	buy("initech", events.OrderCompleted, 2, "A", "B")
	for _, tenant := range m.TakeChanged() {
		reg.Publish(m.Snapshot(tenant, fixedNow.Add(-time.Minute)))
	}
	return f
}

func closeTo(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestRecommendationsHandComputed(t *testing.T) {
	f := recFixture(t)
	type item struct {
		sku                        string
		lift, conf, support, count float64
	}
	cases := []struct {
		path string
		want []item
	}{
		{"/v1/tenants/acme/recommendations?sku=A", []item{{"C", 2, 0.6, 0.3, 3}, {"B", 1.5, 0.6, 0.3, 3}}},
		{"/v1/tenants/acme/recommendations?sku=A&limit=1", []item{{"C", 2, 0.6, 0.3, 3}}},
		{"/v1/tenants/acme/recommendations?sku=C", []item{{"A", 2, 1, 0.3, 3}}},
		{"/v1/tenants/acme/recommendations?sku=D", []item{{"E", 10.0 / 3, 2.0 / 3, 0.2, 2}}},
		{"/v1/tenants/acme/recommendations?sku=E", []item{{"D", 10.0 / 3, 1, 0.2, 2}}},
	}
	for _, c := range cases {
		var got RecommendationsResponse
		resp := f.get(t, secretAcme, c.path, &got)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", c.path, resp.StatusCode)
		}
		if got.ColdStart != "" || got.Tenant != "acme" || !closeTo(got.Baskets, 10) || !got.At.Equal(fixedNow) ||
			got.SnapshotAt == nil || !got.SnapshotAt.Equal(fixedNow.Add(-time.Minute)) {
			t.Errorf("%s: %+v", c.path, got)
		}
		if len(got.Items) != len(c.want) {
			t.Fatalf("%s: items %+v, want %+v", c.path, got.Items, c.want)
		}
		for i, w := range c.want {
			g := got.Items[i]
			if g.SKU != w.sku || !closeTo(g.Lift, w.lift) || !closeTo(g.Confidence, w.conf) || !closeTo(g.Support, w.support) || !closeTo(g.Count, w.count) {
				t.Errorf("%s item %d: %+v, want %+v", c.path, i, g, w)
			}
		}
	}
}

func TestRecommendationsColdStart(t *testing.T) {
	f := recFixture(t)
	cases := []struct {
		path    string
		want    recommend.ColdStart
		baskets float64
	}{
		{"/v1/tenants/acme/recommendations?sku=F", recommend.ColdPairs, 10},
		{"/v1/tenants/acme/recommendations?sku=G", recommend.ColdSKU, 10},
		{"/v1/tenants/initech/recommendations?sku=A", recommend.ColdTenant, 2}, // known by its model only
		{"/v1/tenants/globex/recommendations?sku=A", recommend.ColdTenant, 0},  // known by its windows only
	}
	for _, c := range cases {
		var got RecommendationsResponse
		resp := f.get(t, secretAll, c.path, &got)
		if resp.StatusCode != http.StatusOK || got.ColdStart != c.want || got.Reason == "" ||
			got.Items == nil || len(got.Items) != 0 || !closeTo(got.Baskets, c.baskets) {
			t.Errorf("%s: %d %+v, want cold start %s with %g baskets and an empty list", c.path, resp.StatusCode, got, c.want, c.baskets)
		}
	}
}

func TestRecommendationsErrors(t *testing.T) {
	f := recFixture(t)
	for _, c := range []struct{ path, param string }{
		{"/v1/tenants/acme/recommendations", "sku"},
		{"/v1/tenants/acme/recommendations?sku=", "sku"},
		{"/v1/tenants/acme/recommendations?sku=A%07", "sku"},
		{"/v1/tenants/acme/recommendations?sku=A&limit=0", "limit"},
		{"/v1/tenants/acme/recommendations?sku=A&limit=ten", "limit"},
		{"/v1/tenants/acme/recommendations?sku=A&limit=101", "limit"},
		{"/v1/tenants/bad$id/recommendations?sku=A", "tenant"},
	} {
		code, e := f.errorOf(t, secretAll, c.path)
		if code != http.StatusBadRequest || e.Error.Code != "bad_parameter" || e.Error.Parameter != c.param {
			t.Errorf("%s: %d %+v, want 400 on %s", c.path, code, e, c.param)
		}
	}
	if code, e := f.errorOf(t, "", "/v1/tenants/acme/recommendations?sku=A"); code != http.StatusUnauthorized || e.Error.Code != "unauthorized" {
		t.Errorf("no token: %d %+v", code, e)
	}
	// A scoped token learns nothing of other tenants, existing or not,
	// whatever the parameters.
	for _, other := range []string{"initech", "globex", "nosuch"} {
		for _, query := range []string{"?sku=A", "", "?limit=0"} {
			code, e := f.errorOf(t, secretAcme, "/v1/tenants/"+other+"/recommendations"+query)
			if code != http.StatusForbidden || e.Error.Code != "forbidden" || e.Error.Message != "this token may not read this tenant" {
				t.Errorf("acme token on %s%s: %d %+v, want the one 403", other, query, code, e)
			}
		}
	}
	if code, e := f.errorOf(t, secretAll, "/v1/tenants/nosuch/recommendations?sku=A"); code != http.StatusNotFound || e.Error.Code != "tenant_not_found" {
		t.Errorf("unknown tenant: %d %+v", code, e)
	}
	// Without a source the endpoint does not exist.
	g := seeded(t, func(c *Config) { c.Recommendations = nil })
	if code, e := g.errorOf(t, secretAll, "/v1/tenants/acme/recommendations?sku=A"); code != http.StatusNotFound || e.Error.Code != "not_found" {
		t.Errorf("no source: %d %+v, want 404 not_found", code, e)
	}
}

// TestRecommendationsDecayToNow checks the answer is decayed to the
// request's time, not frozen at the snapshot's.
func TestRecommendationsDecayToNow(t *testing.T) {
	reg := &recommend.Registry{}
	f := seeded(t, func(c *Config) { c.Recommendations = reg })
	m, err := recommend.New(recommend.Config{HalfLife: 24 * time.Hour, MinBaskets: 4, MinItemCount: 1, MinPairCount: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range [][]string{{"A", "B"}, {"A", "B"}, {"C"}, {"D"}, {"E"}, {"F"}} {
		m.Observe(&events.Order{EventID: "e" + strconv.Itoa(i), Type: events.OrderCompleted, TenantID: "acme", OrderID: "o" + strconv.Itoa(i),
			Currency: "USD", OccurredAt: fixedNow, Items: []events.Item{{SKU: b[0], Quantity: 1, UnitPrice: 1}, {SKU: b[len(b)-1], Quantity: 1, UnitPrice: 1}}})
	}
	reg.Publish(m.Snapshot("acme", fixedNow))
	var got RecommendationsResponse
	f.get(t, secretAll, "/v1/tenants/acme/recommendations?sku=A", &got)
	// N=6, n(A)=n(B)=2, n(A,B)=2: lift 2·6/(2·2) = 3.
	if got.ColdStart != "" || len(got.Items) != 1 || !closeTo(got.Items[0].Count, 2) || !closeTo(got.Items[0].Lift, 3) {
		t.Fatalf("at the snapshot: %+v", got)
	}
	f.clock.add(24 * time.Hour) // one half-life: N=3 < 4
	f.get(t, secretAll, "/v1/tenants/acme/recommendations?sku=A", &got)
	if got.ColdStart != recommend.ColdTenant || !closeTo(got.Baskets, 3) || !got.At.Equal(fixedNow.Add(24*time.Hour)) {
		t.Errorf("a half-life later: %+v, want a cold tenant with 3 baskets", got)
	}
}

// failingRecommendations cannot read its models (Redis down).
type failingRecommendations struct{}

func (failingRecommendations) Lookup(string) (*recommend.Snapshot, error) {
	return nil, errors.New("redis: connection refused")
}

// A source that cannot be read is 503 unavailable, for a tenant known
// from its windows and for one the API cannot tell about; the cause is
// logged, not shown.
func TestRecommendationsUnavailable(t *testing.T) {
	f := seeded(t, func(c *Config) { c.Recommendations = failingRecommendations{} })
	for _, tenant := range []string{"acme", "nosuch"} {
		code, e := f.errorOf(t, secretAll, "/v1/tenants/"+tenant+"/recommendations?sku=A")
		if code != http.StatusServiceUnavailable || e.Error.Code != "unavailable" || strings.Contains(e.Error.Message, "redis") {
			t.Errorf("%s: %d %+v, want 503 unavailable without the cause", tenant, code, e)
		}
	}
}
