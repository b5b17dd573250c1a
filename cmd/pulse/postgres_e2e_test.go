package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
)

// pgSchemaDSN creates a throwaway schema and returns a connection string
// whose search_path is it; it skips without Postgres unless
// PULSE_REQUIRE_SERVICES=1.
func pgSchemaDSN(t *testing.T) string {
	dsn, _ := pgSchema(t)
	return dsn
}

// pgSchema is pgSchemaDSN that also names the schema.
func pgSchema(t *testing.T) (dsn, schema string) {
	t.Helper()
	base := os.Getenv("PULSE_TEST_POSTGRES_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if os.Getenv("PULSE_REQUIRE_SERVICES") == "1" {
			t.Fatalf("postgres unreachable and PULSE_REQUIRE_SERVICES=1: %v", err)
		}
		t.Skipf("postgres unreachable (PULSE_REQUIRE_SERVICES=1 fails instead): %v", err)
	}
	defer conn.Close(context.Background())
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema = "pulse_run_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop schema: %v", err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}

// With --postgres-url, pulse run migrates, records every incident in the
// alert history, and the API serves incidents from it.
func TestIncidentsGoToPostgresAndBackThroughTheAPI(t *testing.T) {
	dsn := pgSchemaDSN(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := testRunConfig(t)
	cfg.PostgresFlags = PostgresFlags{PostgresURL: dsn, MigrateOnStart: true, SettingsRefresh: time.Second, StartTimeout: 10 * time.Second}
	sum := sha256.Sum256([]byte("s3cret"))
	cfg.APITokens = "test:" + hex.EncodeToString(sum[:]) + ":acme"
	p, stop := startTestPipeline(t, ctx, cfg, zerolog.WarnLevel)
	defer stop()

	w := events.Window{Start: time.Now().UTC().Truncate(time.Hour).Add(-time.Hour), Size: "1h"}
	w.End = w.Start.Add(time.Hour)
	opened := events.Insight{SchemaVersion: 1, TenantID: "acme", Kind: events.KindAnomalyOpened, Metric: "revenue",
		Currency: "USD", Window: w, Observed: 1240000, Expected: 790000, Score: 3.1, Severity: events.SeverityWarning,
		Method: "seasonal", History: 64, Message: "Revenue was high.", GeneratedAt: w.End, Revision: 1, IncidentID: "inc_test_1"}
	opened.InsightID = events.InsightID(opened.TenantID, opened.Kind, opened.Metric, opened.Currency, w, 1)
	p.outputs.Emit(opened)

	get := func() (int, []map[string]any) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+p.ops.Addr()+"/v1/tenants/acme/incidents?state=open", nil)
		req.Header.Set("Authorization", "Bearer s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Items []map[string]any `json:"items"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, body.Items
	}
	waitFor(t, 20*time.Second, "the incident in the Postgres alert history", func() bool {
		var n int
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return false
		}
		defer conn.Close(ctx)
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM incidents WHERE incident_id = 'inc_test_1'").Scan(&n); err != nil {
			return false
		}
		return n == 1
	})
	code, items := get()
	if code != http.StatusOK || len(items) != 1 || items[0]["incident_id"] != "inc_test_1" {
		t.Fatalf("GET incidents = %d %v, want the open incident from Postgres", code, items)
	}
	if code := httpStatus(t, "http://"+p.ops.Addr()+"/readyz"); code != http.StatusOK {
		t.Fatalf("/readyz = %d with Postgres up", code)
	}
}
