package redisstore

import (
	"context"
	"testing"

	"github.com/olympus-cloud/pulse/windows/redisstore/redistest"
)

// openStore opens a Store on a fresh prefix.
func openStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	redistest.Require(t)
	if cfg.Prefix == "" {
		cfg.Prefix = redistest.Prefix(t)
	}
	if cfg.Addr == "" && cfg.URL == "" && cfg.Client == nil {
		cfg.Addr = redistest.Addr()
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
