package postgres_test

import (
	"testing"

	"github.com/olympus-cloud/pulse/sinks/postgres"
)

// schemaFor gives the external tests the package's test schema: a random
// schema, dropped at cleanup, with a connection string whose search_path is
// it; skips when Postgres is unreachable unless PULSE_REQUIRE_SERVICES=1.
func schemaFor(t *testing.T) (dsn, schema string) {
	schema, dsn = postgres.TestSchema(t)
	return dsn, schema
}
