package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// schemaFor is the external tests' copy of testSchema: a random schema,
// dropped at cleanup; skips when Postgres is unreachable unless
// PULSE_REQUIRE_SERVICES=1.
func schemaFor(t *testing.T) (dsn, schema string) {
	t.Helper()
	base := os.Getenv("PULSE_TEST_POSTGRES_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, base)
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
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
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
