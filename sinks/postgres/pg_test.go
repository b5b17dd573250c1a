package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
)

// testURL is the Postgres the integration tests use: PULSE_TEST_POSTGRES_URL,
// else the local trust-auth server.
func testURL() string {
	if u := os.Getenv("PULSE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// testSchema creates a schema of a random name for one test, drops it at
// cleanup and returns a connection string whose search_path is it. It skips
// the test when Postgres is unreachable, unless PULSE_REQUIRE_SERVICES=1.
func testSchema(t *testing.T) (schema, dsn string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, testURL())
	if err != nil {
		if os.Getenv("PULSE_REQUIRE_SERVICES") == "1" {
			t.Fatalf("postgres unreachable and PULSE_REQUIRE_SERVICES=1: %v", err)
		}
		t.Skipf("postgres unreachable (set PULSE_TEST_POSTGRES_URL, or PULSE_REQUIRE_SERVICES=1 to fail): %v", err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	schema = "pulse_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, testURL())
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(testURL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return schema, u.String()
}

// openTest opens a Store on a fresh schema with the migrations applied.
func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	schema, dsn := testSchema(t)
	ctx := context.Background()
	s, err := Open(ctx, dsn, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return s, schema
}

// createOrders creates the shipped commerce.orders DDL inside the test's
// schema and returns the table name for WarmConfig.OrdersTable.
func createOrders(t *testing.T, s *Store, schema string) string {
	t.Helper()
	ddl, err := os.ReadFile("../../testdata/postgres/commerce_orders.sql")
	if err != nil {
		t.Fatal(err)
	}
	sql := strings.ReplaceAll(string(ddl), "CREATE SCHEMA IF NOT EXISTS commerce;", "")
	sql = strings.ReplaceAll(sql, "commerce.", schema+".")
	if _, err := s.pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("commerce_orders.sql: %v", err)
	}
	return schema + ".orders"
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testLogger(t *testing.T) zerolog.Logger { return zerolog.New(zerolog.NewTestWriter(t)) }
