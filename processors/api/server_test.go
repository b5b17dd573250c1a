package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

var tenantPaths = []string{"/metrics", "/insights", "/incidents", "/ask?q=revenue+today", "/stream", "/recommendations?sku=A"}

func seeded(t *testing.T, mod func(*Config)) *fixture {
	f := newFixture(t, mod)
	for _, tenant := range []string{"acme", "globex"} {
		f.srv.Observe(window(tenant, "1h", fixedNow.Truncate(time.Hour).Add(-time.Hour), 1, "USD", 3, 2, 2500))
	}
	return f
}

func TestUnauthenticatedIs401(t *testing.T) {
	f := seeded(t, nil)
	for _, p := range append(tenantPaths, "") {
		path := "/v1/tenants/acme" + p
		if p == "" {
			path = "/v1/tenants"
		}
		for _, secret := range []string{"", "wrong", secretAll + " "} {
			if secret != "" && secret != "wrong" && strings.HasSuffix(path, "/stream") {
				continue // a valid token would stream forever
			}
			code, e := f.errorOf(t, secret, path)
			if secret == secretAll+" " { // trailing space is trimmed: a valid token
				if code == http.StatusUnauthorized {
					t.Errorf("%s: a valid token with trailing space was refused", path)
				}
				continue
			}
			if code != http.StatusUnauthorized || e.Error.Code != "unauthorized" {
				t.Errorf("%s with %q: %d %+v, want 401 unauthorized", path, secret, code, e)
			}
		}
	}
	resp := f.get(t, "", "/v1/tenants/acme/metrics", nil)
	if resp.Header.Get("WWW-Authenticate") == "" {
		t.Error("401 without WWW-Authenticate")
	}
	if code, _ := f.errorOf(t, "", "/v1/nothing"); code != http.StatusUnauthorized {
		t.Errorf("unknown endpoint without token: %d, want 401", code)
	}
}

// TestCrossTenantIs403 checks a scoped token learns nothing about other
// tenants: the same answer whether they exist or not, and whatever the
// parameters.
func TestCrossTenantIs403(t *testing.T) {
	f := seeded(t, nil)
	for _, p := range tenantPaths {
		for _, other := range []string{"globex", "doesnotexist", "bad$id"} {
			code, e := f.errorOf(t, secretAcme, "/v1/tenants/"+other+p)
			if code != http.StatusForbidden || e.Error.Code != "forbidden" {
				t.Errorf("acme token on %s%s: %d %+v, want 403", other, p, code, e)
			}
			if e.Error.Message != "this token may not read this tenant" {
				t.Errorf("403 message varies: %q", e.Error.Message)
			}
		}
		// bad parameters do not turn a 403 into a 400
		sep := "?"
		if strings.Contains(p, "?") {
			sep = "&"
		}
		code, _ := f.errorOf(t, secretAcme, "/v1/tenants/globex"+p+sep+"window=nope&state=nope&limit=0")
		if code != http.StatusForbidden {
			t.Errorf("cross-tenant with bad parameters %s: %d, want 403", p, code)
		}
	}
	var ok MetricsPage
	if resp := f.get(t, secretAcme, "/v1/tenants/acme/metrics", &ok); resp.StatusCode != 200 || len(ok.Items) != 1 {
		t.Fatalf("acme token on acme: %d %+v", resp.StatusCode, ok)
	}
	var list Page[TenantItem]
	f.get(t, secretAcme, "/v1/tenants", &list)
	if len(list.Items) != 1 || list.Items[0].TenantID != "acme" {
		t.Fatalf("acme token lists %+v, want only acme", list.Items)
	}
	f.get(t, secretAll, "/v1/tenants", &list)
	if len(list.Items) != 2 {
		t.Fatalf("all-tenant token lists %+v, want acme and globex", list.Items)
	}
}

func TestNotFound(t *testing.T) {
	f := seeded(t, nil)
	for _, p := range tenantPaths {
		code, e := f.errorOf(t, secretAll, "/v1/tenants/nosuchtenant"+p)
		if code != http.StatusNotFound || e.Error.Code != "tenant_not_found" {
			t.Errorf("unknown tenant %s: %d %+v, want 404 tenant_not_found", p, code, e)
		}
	}
	code, e := f.errorOf(t, secretAll, "/v1/tenants/acme/nothing")
	if code != http.StatusNotFound || e.Error.Code != "not_found" {
		t.Errorf("unknown endpoint: %d %+v", code, e)
	}
}

func TestBadParametersAre400(t *testing.T) {
	f := seeded(t, nil)
	cases := []struct{ path, param string }{
		{"/v1/tenants/bad$id/metrics", "tenant"},
		{"/v1/tenants/acme/metrics?window=2h", "window"},
		{"/v1/tenants/acme/metrics?from=yesterday", "from"},
		{"/v1/tenants/acme/metrics?to=soon", "to"},
		{"/v1/tenants/acme/metrics?from=2026-03-11T00:00:00Z&to=2026-03-10T00:00:00Z", "from"},
		{"/v1/tenants/acme/metrics?currency=XYZ", "currency"},
		{"/v1/tenants/acme/metrics?limit=0", "limit"},
		{"/v1/tenants/acme/metrics?limit=5000", "limit"},
		{"/v1/tenants/acme/metrics?cursor=!!", "cursor"},
		{"/v1/tenants/acme/insights?severity=loud", "severity"},
		{"/v1/tenants/acme/insights?kind=Anomaly!", "kind"},
		{"/v1/tenants/acme/insights?since=later", "since"},
		{"/v1/tenants/acme/insights?cursor=abc", "cursor"},
		{"/v1/tenants/acme/incidents?state=closed", "state"},
		{"/v1/tenants/acme/incidents?cursor=x", "cursor"},
		{"/v1/tenants/acme/ask", "q"},
		{"/v1/tenants/acme/ask?q=" + string(make([]byte, 0)), "q"},
		{"/v1/tenants/acme/stream?window=7m", "window"},
		{"/v1/tenants?limit=-1", "limit"},
	}
	for _, c := range cases {
		code, e := f.errorOf(t, secretAll, c.path)
		if code != http.StatusBadRequest || e.Error.Code != "bad_parameter" || e.Error.Parameter != c.param || e.Error.Message == "" {
			t.Errorf("%s: %d %+v, want 400 bad_parameter on %s", c.path, code, e, c.param)
		}
	}
}

func TestMetricsRevisionsRangesAndPages(t *testing.T) {
	f := newFixture(t, nil)
	base := fixedNow.Truncate(time.Hour).Add(-10 * time.Hour)
	var wantRevenue int64
	for i := range 10 {
		for _, cur := range []string{"USD", "EUR"} {
			f.srv.Observe(window("acme", "1h", base.Add(time.Duration(i)*time.Hour), 1, cur, int64(i), int64(i), int64(100*i)))
		}
		wantRevenue += int64(100 * i)
	}
	// a correction replaces revision 1; a stale revision 1 does not undo it
	corr := window("acme", "1h", base.Add(3*time.Hour), 2, "USD", 30, 30, 99999)
	f.srv.Observe(corr)
	f.srv.Observe(window("acme", "1h", base.Add(3*time.Hour), 1, "USD", 3, 3, 300))
	wantRevenue += 99999 - 300

	var got []WindowItem
	cursor := ""
	pages := 0
	for {
		var p MetricsPage
		path := q("/v1/tenants/acme/metrics", "window", "1h", "currency", "USD", "limit", "3", "from", "24h")
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		if resp := f.get(t, secretAll, path, &p); resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		got = append(got, p.Items...)
		pages++
		if cursor = p.NextCursor; cursor == "" {
			break
		}
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if len(got) != 10 || pages != 4 {
		t.Fatalf("got %d windows in %d pages, want 10 in 4", len(got), pages)
	}
	var sum int64
	for i, it := range got {
		if i > 0 && !it.Window.Start.After(got[i-1].Window.Start) {
			t.Fatalf("windows out of order or repeated at %d", i)
		}
		if it.Currency != "USD" || it.Partial {
			t.Fatalf("item %+v", it)
		}
		sum += it.Metrics.Revenue
	}
	if sum != wantRevenue {
		t.Fatalf("revenue sum %d, want %d (the correction must replace revision 1)", sum, wantRevenue)
	}
	if got[3].Revision != 2 {
		t.Fatalf("window 3 has revision %d, want the correction", got[3].Revision)
	}
	// a range keeps only windows inside it; money renders as decimal text
	var p MetricsPage
	f.get(t, secretAll, q("/v1/tenants/acme/metrics", "from", base.Add(2*time.Hour).Format(time.RFC3339), "to", base.Add(5*time.Hour).Format(time.RFC3339)), &p)
	if len(p.Items) != 6 {
		t.Fatalf("3 hours of 2 currencies: got %d items", len(p.Items))
	}
	raw := map[string]any{}
	f.get(t, secretAll, q("/v1/tenants/acme/metrics", "limit", "1"), &raw)
	m := raw["items"].([]any)[0].(map[string]any)["metrics"].(map[string]any)
	if _, ok := m["revenue"].(string); !ok {
		t.Fatalf("revenue is not decimal text: %v", m["revenue"])
	}
}

type openStub struct{ err error }

func (o openStub) Open(_ context.Context, tenant, size string, now time.Time) ([]events.Insight, error) {
	if o.err != nil {
		return nil, o.err
	}
	in := window(tenant, size, now.Truncate(time.Hour), 1, "USD", 1, 1, 100)
	return []events.Insight{in}, nil
}

func TestMetricsOpenWindowIsPartial(t *testing.T) {
	f := seeded(t, func(c *Config) { c.Open = openStub{} })
	var p MetricsPage
	f.get(t, secretAll, "/v1/tenants/acme/metrics", &p)
	if len(p.Items) != 2 || p.Items[0].Partial || !p.Items[1].Partial {
		t.Fatalf("want one closed then one partial window: %+v", p.Items)
	}
	f.get(t, secretAll, q("/v1/tenants/acme/metrics", "to", "2h"), &p)
	for _, it := range p.Items {
		if it.Partial {
			t.Fatal("a range ending in the past lists an open window")
		}
	}
}

// When the open windows cannot be read, /metrics still lists the closed
// ones and says the partial window is unavailable, without the cause.
func TestMetricsOpenWindowUnavailable(t *testing.T) {
	f := seeded(t, func(c *Config) { c.Open = openStub{err: errors.New("redis: connection refused at 10.1.2.3")} })
	var p MetricsPage
	if resp := f.get(t, secretAll, "/v1/tenants/acme/metrics", &p); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if len(p.Items) != 1 || p.Items[0].Partial {
		t.Fatalf("want the closed window only: %+v", p.Items)
	}
	if !strings.HasPrefix(p.PartialUnavailable, "partial window unavailable") || strings.Contains(p.PartialUnavailable, "10.1.2.3") {
		t.Fatalf("partial_unavailable %q", p.PartialUnavailable)
	}
	f2 := seeded(t, func(c *Config) { c.Open = openStub{} })
	var ok MetricsPage
	f2.get(t, secretAll, "/v1/tenants/acme/metrics", &ok)
	if ok.PartialUnavailable != "" {
		t.Fatalf("partial_unavailable set without an error: %q", ok.PartialUnavailable)
	}
}

func TestInsightsFilters(t *testing.T) {
	f := newFixture(t, nil)
	start := fixedNow.Truncate(time.Hour).Add(-6 * time.Hour)
	for i := range 6 {
		f.srv.Observe(window("acme", "1h", start.Add(time.Duration(i)*time.Hour), 1, "USD", 1, 1, 100))
		f.srv.Observe(window("acme", "1m", start.Add(time.Duration(i)*time.Minute), 1, "USD", 1, 1, 100))
	}
	f.srv.Observe(anomaly("acme", events.KindAnomalyOpened, "inc1", "revenue", start.Add(2*time.Hour), events.SeverityWarning, -3))
	f.srv.Observe(anomaly("acme", events.KindAnomalyEscalated, "inc1", "revenue", start.Add(3*time.Hour), events.SeverityCritical, -5))
	f.srv.Observe(anomaly("acme", events.KindAnomalyOpened, "inc1", "revenue", start.Add(2*time.Hour), events.SeverityWarning, -3)) // duplicate

	count := func(path string) []events.Insight {
		var p Page[events.Insight]
		if resp := f.get(t, secretAll, path, &p); resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return p.Items
	}
	if n := len(count("/v1/tenants/acme/insights")); n != 8 {
		t.Errorf("all insights: %d, want 6 hourly windows and 2 anomalies (minute windows and duplicates are not kept)", n)
	}
	if got := count("/v1/tenants/acme/insights?kind=anomaly"); len(got) != 2 || got[0].Kind != events.KindAnomalyEscalated {
		t.Errorf("anomaly family, newest first: %+v", got)
	}
	if got := count("/v1/tenants/acme/insights?kind=anomaly.opened,window.metrics"); len(got) != 7 {
		t.Errorf("two kinds: %d", len(got))
	}
	if got := count("/v1/tenants/acme/insights?severity=critical"); len(got) != 1 || got[0].Severity != events.SeverityCritical {
		t.Errorf("critical: %+v", got)
	}
	if got := count("/v1/tenants/acme/insights?severity=warning"); len(got) != 2 {
		t.Errorf("warning and above: %d", len(got))
	}
	since := start.Add(4 * time.Hour).Format(time.RFC3339)
	for _, in := range count("/v1/tenants/acme/insights?since=" + since) {
		if in.GeneratedAt.Before(start.Add(4 * time.Hour)) {
			t.Errorf("since %s returned %s", since, in.GeneratedAt)
		}
	}
	// pages of 3 cover everything once
	seen := map[string]bool{}
	cursor := ""
	for range 10 {
		var p Page[events.Insight]
		f.get(t, secretAll, "/v1/tenants/acme/insights?limit=3"+cursorParam(cursor), &p)
		for _, in := range p.Items {
			if seen[in.InsightID] {
				t.Fatalf("insight %s on two pages", in.InsightID)
			}
			seen[in.InsightID] = true
		}
		if cursor = p.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 8 {
		t.Fatalf("pages held %d insights, want 8", len(seen))
	}
}

func cursorParam(c string) string {
	if c == "" {
		return ""
	}
	return "&cursor=" + c
}

func TestIncidentsLifecycle(t *testing.T) {
	f := newFixture(t, nil)
	start := fixedNow.Truncate(time.Hour).Add(-5 * time.Hour)
	f.srv.Observe(anomaly("acme", events.KindAnomalyOpened, "inc1", "revenue", start, events.SeverityWarning, -3))
	f.srv.Observe(anomaly("acme", events.KindAnomalyEscalated, "inc1", "revenue", start.Add(time.Hour), events.SeverityCritical, -6))
	f.srv.Observe(anomaly("acme", events.KindAnomalyResolved, "inc1", "revenue", start.Add(2*time.Hour), events.SeverityInfo, -0.5))
	for i := range 3 {
		f.srv.Observe(anomaly("acme", events.KindAnomalyOpened, "open"+strconv.Itoa(i), "orders", start.Add(time.Duration(i)*time.Hour), events.SeverityWarning, 3))
	}
	list := func(path string) Page[Incident] {
		var p Page[Incident]
		if resp := f.get(t, secretAll, path, &p); resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return p
	}
	res := list("/v1/tenants/acme/incidents?state=resolved").Items
	if len(res) != 1 {
		t.Fatalf("resolved: %+v", res)
	}
	inc := res[0]
	if inc.IncidentID != "inc1" || inc.State != StateResolved || inc.PeakScore != 6 || inc.PeakSeverity != events.SeverityCritical ||
		inc.Updates != 3 || inc.ResolvedAt == nil || !inc.OpenedAt.Equal(start.Add(time.Hour)) || !inc.FirstWindow.Start.Equal(start) {
		t.Fatalf("resolved incident %+v", inc)
	}
	open := list("/v1/tenants/acme/incidents?state=open").Items
	if len(open) != 3 {
		t.Fatalf("open: %d", len(open))
	}
	for _, o := range open {
		if o.State != StateOpen || o.ResolvedAt != nil {
			t.Fatalf("open incident %+v", o)
		}
	}
	p := list("/v1/tenants/acme/incidents?limit=3")
	if len(p.Items) != 3 || p.NextCursor == "" {
		t.Fatalf("first page %+v", p)
	}
	p2 := list("/v1/tenants/acme/incidents?limit=3&cursor=" + p.NextCursor)
	if len(p2.Items) != 1 || p2.NextCursor != "" || p2.Items[0].IncidentID != "inc1" {
		t.Fatalf("second page %+v", p2)
	}
}

func TestRateLimitPerToken(t *testing.T) {
	f := seeded(t, func(c *Config) { c.RatePerSecond = 1; c.Burst = 2 })
	for i := range 2 {
		if code, _ := f.errorOf(t, secretAcme, "/v1/tenants/acme/nothing"); code == http.StatusTooManyRequests {
			t.Fatalf("request %d limited within the burst", i)
		}
	}
	resp := f.get(t, secretAcme, "/v1/tenants/acme/metrics", nil)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third request: %d, want 429", resp.StatusCode)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	// another token has its own bucket
	if resp := f.get(t, secretAll, "/v1/tenants/acme/metrics", nil); resp.StatusCode != 200 {
		t.Fatalf("other token: %d", resp.StatusCode)
	}
	f.clock.add(2 * time.Second)
	if resp := f.get(t, secretAcme, "/v1/tenants/acme/metrics", nil); resp.StatusCode != 200 {
		t.Fatalf("after the refill: %d", resp.StatusCode)
	}
}

func TestAskEndpoint(t *testing.T) {
	f := newFixture(t, nil)
	y := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	var want int64
	for h := range 24 {
		rev := int64(1000 + 10*h)
		f.srv.Observe(window("acme", "1h", y.Add(time.Duration(h)*time.Hour), 1, "USD", 2, 2, rev))
		want += rev
	}
	var r struct {
		Understood struct {
			Intent, Metric string
		}
		Answer      string
		Figures     []struct{ Value, Currency string }
		Suggestions []string
	}
	f.get(t, secretAcme, q("/v1/tenants/acme/ask", "q", "revenue yesterday"), &r)
	if r.Understood.Intent != "metric" || r.Understood.Metric != "revenue" || len(r.Figures) != 1 {
		t.Fatalf("answer %+v", r)
	}
	if r.Figures[0].Value != events.FormatMinor(want, 2) || r.Figures[0].Currency != "USD" {
		t.Fatalf("revenue yesterday %s %s, want %s USD", r.Figures[0].Value, r.Figures[0].Currency, events.FormatMinor(want, 2))
	}
	var u struct {
		Understood  struct{ Intent string }
		Suggestions []string
	}
	if resp := f.get(t, secretAcme, q("/v1/tenants/acme/ask", "q", "sing me a song"), &u); resp.StatusCode != 200 {
		t.Fatalf("unknown question: %d, want 200 with suggestions", resp.StatusCode)
	}
	if u.Understood.Intent != "unknown" || len(u.Suggestions) == 0 {
		t.Fatalf("unknown question: %+v", u)
	}
}

func TestParseTokens(t *testing.T) {
	h := HashToken("s3cret")
	ts, err := ParseTokens(" dash:" + h + ":acme|globex ; ops:" + HashToken("other") + ":* ;")
	if err != nil || len(ts) != 2 || len(ts[0].Tenants) != 2 || ts[1].Tenants[0] != AllTenants {
		t.Fatalf("%+v %v", ts, err)
	}
	for _, bad := range []string{
		"dash:s3cret:acme",                         // a secret instead of a hash
		"dash:" + h,                                // no tenants part
		"dash:" + h + ":",                          // empty tenants
		"dash:" + h + ":a$b",                       // invalid tenant
		"dash:" + h + ":*|acme",                    // * with names
		"a:" + h + ":x;a:" + HashToken("y") + ":x", // duplicate name
		"a:" + h + ":x;b:" + h + ":x",              // duplicate secret
	} {
		if _, err := ParseTokens(bad); err == nil {
			t.Errorf("%q accepted", bad)
		} else if containsSecret(err.Error()) {
			t.Errorf("error echoes the secret: %v", err)
		}
	}
}

func containsSecret(s string) bool {
	return strings.Contains(s, "s3cret")
}
