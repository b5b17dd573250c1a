// Package redistest is the tests' access to the Redis they share: its
// address, a skip (or, under PULSE_REQUIRE_SERVICES=1, a failure) when it
// is unreachable, and key prefixes of their own that are deleted when the
// test ends. Test support only; nothing in the pulse binary imports it.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Addr is the tests' Redis: PULSE_REDIS_ADDR, else 127.0.0.1:6379.
func Addr() string {
	if a := os.Getenv("PULSE_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// Require skips t when Redis is unreachable, or fails it when
// PULSE_REQUIRE_SERVICES=1.
func Require(t testing.TB) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: Addr(), DialTimeout: time.Second, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("PULSE_REQUIRE_SERVICES") == "1" {
			t.Fatalf("redis at %s unreachable and PULSE_REQUIRE_SERVICES=1: %v", Addr(), err)
		}
		t.Skipf("redis at %s unreachable (start it, or set PULSE_REDIS_ADDR): %v", Addr(), err)
	}
}

// Client is a client of the tests' Redis (after Require), closed when the
// test ends.
func Client(t testing.TB) *redis.Client {
	t.Helper()
	Require(t)
	c := redis.NewClient(&redis.Options{Addr: Addr(), DialTimeout: time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// Prefix returns a random key prefix ("pulsetest:<hex>:") whose keys are
// deleted when the test ends.
func Prefix(t testing.TB) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails
	p := "pulsetest:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		c := redis.NewClient(&redis.Options{Addr: Addr()})
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
