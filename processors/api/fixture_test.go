package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/recommend"
)

const (
	secretAll  = "secret-all-tenants"
	secretAcme = "secret-acme-only"
)

// clock is a hand-moved clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fixedNow is Wednesday 2026-03-11 10:17:30 UTC.
var fixedNow = time.Date(2026, 3, 11, 10, 17, 30, 0, time.UTC)

type fixture struct {
	srv   *Server
	http  *httptest.Server
	clock *clock
}

func newFixture(t *testing.T, mod func(*Config)) *fixture {
	t.Helper()
	c := &clock{t: fixedNow}
	cfg := Config{
		Tokens: []Token{
			{Name: "ops", SHA256: HashToken(secretAll), Tenants: []string{AllTenants}},
			{Name: "acme-dash", SHA256: HashToken(secretAcme), Tenants: []string{"acme"}},
		},
		RatePerSecond: 1000, Burst: 1000,
		Now:             c.now,
		Log:             zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
		Recommendations: &recommend.Registry{},
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { s.Close(); hs.Close() })
	return &fixture{srv: s, http: hs, clock: c}
}

// get calls path with the secret ("" for none) and decodes JSON into out
// when out is not nil.
func (f *fixture) get(t *testing.T, secret, path string, out any) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.http.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	resp, err := f.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: %d %s: %v", path, resp.StatusCode, body, err)
		}
	}
	return resp
}

// errorOf calls path and returns the status and the error body.
func (f *fixture) errorOf(t *testing.T, secret, path string) (int, apiError) {
	t.Helper()
	var e apiError
	resp := f.get(t, secret, path, &e)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET %s: content type %q", path, ct)
	}
	return resp.StatusCode, e
}

// window builds a closed-window insight.
func window(tenant, size string, start time.Time, revision int, currency string, orders, completed, revenue int64) events.Insight {
	d := map[string]time.Duration{"1m": time.Minute, "5m": 5 * time.Minute, "1h": time.Hour, "1d": 24 * time.Hour}[size]
	w := events.Window{Start: start, End: start.Add(d), Size: size}
	kind := events.KindWindowMetrics
	if revision > 1 {
		kind = events.KindWindowCorrection
	}
	m := events.WindowMetrics{Currency: currency, Orders: orders, CompletedOrders: completed, CompletedRevenue: revenue,
		Revenue: revenue, UniqueCustomers: completed, UniqueCustomersExact: true, ItemsSold: orders}
	return events.Insight{SchemaVersion: 1, InsightID: events.InsightID(tenant, kind, "", currency, w, revision),
		TenantID: tenant, Kind: kind, Currency: currency, Window: w, Severity: events.SeverityInfo,
		GeneratedAt: w.End, Revision: revision, Metrics: &m, Message: "window"}
}

// anomaly builds an anomaly insight of an incident.
func anomaly(tenant string, kind events.Kind, incident, metric string, start time.Time, sev events.Severity, score float64) events.Insight {
	w := events.Window{Start: start, End: start.Add(time.Hour), Size: "1h"}
	return events.Insight{SchemaVersion: 1, InsightID: events.InsightID(tenant, kind, metric, "USD", w, 1),
		TenantID: tenant, Kind: kind, Metric: metric, Currency: "USD", Window: w, Observed: 10, Expected: 100,
		Band: events.Band{Low: 60, High: 140}, Score: score, Severity: sev, GeneratedAt: w.End, Revision: 1,
		IncidentID: incident, Message: metric + " far below expected"}
}

func q(path string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return path + "?" + v.Encode()
}
