package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisAddr is the Redis the tests use (PULSE_REDIS_ADDR overrides).
func redisAddr() string {
	if a := os.Getenv("PULSE_REDIS_ADDR"); a != "" {
		return a
	}
	return DefaultAddr
}

// requireRedis skips the test when Redis is unreachable, or fails it when
// PULSE_REQUIRE_SERVICES=1.
func requireRedis(t testing.TB) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: redisAddr(), DialTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("PULSE_REQUIRE_SERVICES") == "1" {
			t.Fatalf("redis at %s unreachable and PULSE_REQUIRE_SERVICES=1: %v", redisAddr(), err)
		}
		t.Skipf("redis at %s unreachable (start it, or set PULSE_REDIS_ADDR): %v", redisAddr(), err)
	}
}

// newPrefix returns a random key prefix and deletes its keys when the test
// ends.
func newPrefix(t testing.TB) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails
	p := "pulsetest:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		c := redis.NewClient(&redis.Options{Addr: redisAddr()})
		defer c.Close()
		ctx := context.Background()
		var keys []string
		iter := c.Scan(ctx, 0, p+"*", 1000).Iterator()
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		for len(keys) > 0 {
			n := min(len(keys), 500)
			if err := c.Unlink(ctx, keys[:n]...).Err(); err != nil {
				t.Logf("cleanup %s: %v", p, err)
				return
			}
			keys = keys[n:]
		}
	})
	return p
}

// openStore opens a Store on a fresh prefix.
func openStore(t testing.TB, cfg Config) *Store {
	t.Helper()
	requireRedis(t)
	if cfg.Prefix == "" {
		cfg.Prefix = newPrefix(t)
	}
	if cfg.Addr == "" && cfg.URL == "" && cfg.Client == nil {
		cfg.Addr = redisAddr()
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
