package rediscustomers

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func redisAddr() string {
	if a := os.Getenv("PULSE_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// client returns a client on the test Redis: the test is skipped when
// Redis is unreachable, or fails when PULSE_REQUIRE_SERVICES=1.
func client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: redisAddr(), DialTimeout: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		if os.Getenv("PULSE_REQUIRE_SERVICES") == "1" {
			t.Fatalf("redis at %s unreachable and PULSE_REQUIRE_SERVICES=1: %v", redisAddr(), err)
		}
		t.Skipf("redis at %s unreachable (start it, or set PULSE_REDIS_ADDR): %v", redisAddr(), err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// newPrefix returns a random key prefix whose keys are deleted when the
// test ends.
func newPrefix(t testing.TB, c *redis.Client) string {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:]) // never fails
	p := "pulsetest:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := c.Scan(ctx, 0, p+"*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			if err := c.Unlink(ctx, keys...).Err(); err != nil {
				t.Logf("cleanup %s: %v", p, err)
			}
		}
	})
	return p
}

func open(t testing.TB, cfg Config) *Store {
	t.Helper()
	if cfg.Client == nil {
		cfg.Client = client(t)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = newPrefix(t, cfg.Client)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// leaseTable is a hand-moved lease table (shard -> owner) that replicas
// look at through leaseView.
type leaseTable struct {
	mu    sync.Mutex
	owner map[int]string
}

func (l *leaseTable) move(shard int, to string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.owner[shard] = to
}

type leaseView struct {
	l  *leaseTable
	me string
}

func (v leaseView) Owned(shard int) (string, bool) {
	v.l.mu.Lock()
	defer v.l.mu.Unlock()
	return "token", v.l.owner[shard] == v.me
}
