// Package api serves Pulse's query API, live stream and dashboard over
// HTTP: per-tenant closed windows, insights and incidents under /v1 (see
// api/openapi.yaml), server-sent events of new windows and insights, plain
// language questions (package ask), "bought together" recommendations and
// the embedded dashboard at / (package web).
//
// Feeding: the Server answers from a bounded in-memory History fed with
// every delivered insight: outputs.Observe(server.Observe). Observe never
// blocks the pipeline: it updates the History under a short lock and
// offers each stream client its events without waiting; a client whose
// queue (StreamBuffer, default 256 events) is full is dropped with a log
// line and reconnects. Incidents come from an IncidentSource, by default
// the History (assembled from anomaly.* insights by IncidentID); the
// Postgres alert history can replace it. Open (partial) windows come from
// an OpenWindows (processors.OpenWindows asks the shard that owns the
// tenant's windows engine): /metrics lists them after the closed windows,
// partial with revision 0, when the range reaches now; if they cannot be
// read, the closed windows are still served with partial_unavailable set.
//
// Recommendations: /recommendations?sku=SKU&limit=N (default 10, at most
// the model's MaxLimit, 100) answers from Config.Recommendations, the
// latest recommend.Snapshot of the tenant (pulse run: a recommend.Registry
// the shards publish to; with --state redis a
// processors.SharedRecommendations that reads the model the tenant's lease
// holder saved, on whichever replica the request reaches), never from the
// live model, so a request never waits for a shard. A source that cannot
// be read (Redis down) is 503 unavailable. Counts are decayed from the snapshot's instant to the
// request's (exact: decay scales every count alike), so an idle tenant's
// answer ages as the model would; snapshot_at says which orders are in.
// The body is recommend.Result, the same as `pulse recommend --json`'s
// result: items best lift first, or cold_start (tenant_has_too_few_baskets,
// sku_has_too_little_support, no_pair_has_enough_support) with a reason and
// no items. A tenant is known here when it has windows or a snapshot; one
// with windows but no basket yet is a cold tenant. A missing or
// non-printable sku and a bad limit are 400. Without a source the endpoint
// is not served (404 not_found).
//
// Security: every /v1 call needs "Authorization: Bearer <secret>". Tokens
// are configured as SHA-256 hashes (ParseTokens: "name:sha256hex:t1|t2" or
// "name:sha256hex:*", entries separated by ";"); the presented secret is
// hashed and compared with every configured hash in constant time; neither
// secrets nor hashes are logged, only token names. A token scoped to other
// tenants gets 403 for a tenant whether or not it exists, before any
// parameter is read; an all-tenant token gets 404 for a tenant the History
// does not hold. Each token has a token-bucket rate limit (default 10/s,
// burst 40; 429 with Retry-After) and at most MaxStreamsPerToken open
// streams (default 8). The dashboard is public static files; it holds the
// token in the tab's sessionStorage and sends it only in headers. The
// health and metrics endpoints are not served here.
//
// Caps (HistoryConfig defaults): 1000 tenants (least recently updated
// dropped first); per tenant and currency 180 1m, 288 5m, 336 1h and 400 1d
// windows (latest revision replaces earlier ones), 500 recent insights
// (anomalies and 1h/1d window insights) and 200 incidents (oldest resolved
// dropped first). That is roughly 1 MiB per tenant with one currency at the
// defaults, so about 1 GiB at the tenant cap.
//
// Errors are JSON {"error": {"code", "message", "parameter"}} with stable
// codes: unauthorized (401), forbidden (403), tenant_not_found and
// not_found (404), bad_parameter (400), rate_limited and too_many_streams
// (429), internal (500), unavailable (503). Lists page with limit (at most 1000) and an opaque
// next_cursor.
//
// Time: the Server reads Config.Now (default time.Now) for relative
// parameters ("from=24h"), the rate limiter and ask's "today".
package api
