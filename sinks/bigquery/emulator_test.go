package bigquery

import (
	"context"
	"testing"

	"cloud.google.com/go/bigquery"
	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/sinks/bigquery/internal/bqemu"
)

type emulator struct{ *bqemu.Emulator }

func startEmulator(t testing.TB, dataset string) emulator {
	return emulator{bqemu.Start(t, dataset)}
}

func (e emulator) config() Config {
	return Config{Project: e.Project, Dataset: e.Dataset, Endpoint: e.URL}
}

func (e emulator) client(t testing.TB) *bigquery.Client {
	t.Helper()
	c, err := NewClient(context.Background(), e.config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func testLogger(t testing.TB) zerolog.Logger { return bqemu.Logger(t) }
