package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/olympus-cloud/pulse/windows"
)

// DefaultLeaseTTL is how long a lease lives without renewal.
const DefaultLeaseTTL = 10 * time.Second

// LeasesConfig configures the lease manager.
type LeasesConfig struct {
	// Shards is the number of lease shards (windows.Distributed.Shards).
	// Required.
	Shards int
	// TTL is the lease duration; Tick renews every held lease, so call it
	// (or Run) at least every TTL/3. Default DefaultLeaseTTL.
	TTL time.Duration
	// Owner names this replica in lease values. Default a random id.
	Owner string
	// Max caps how many shards this replica takes (0: all it can get), so
	// a replica started later finds free shards once others hit the cap.
	Max int
	// Now is the local clock for lease deadlines. Default time.Now.
	Now func() time.Time
}

// Leases holds this replica's lease shards: key lease:{shard} = owner|n,
// set with SET NX PX semantics, n from one increasing counter (the fencing
// token). A lease counts as held locally until TTL*3/4 after the request
// that took or renewed it was sent, so it lapses here before Redis expires
// it and another replica can take it. Safe for concurrent use.
type Leases struct {
	s   *Store
	cfg LeasesConfig
	mu  sync.Mutex
	// held shard -> token and local deadline
	held map[int]lease
}

type lease struct {
	token string
	until time.Time
}

var _ windows.Leases = (*Leases)(nil)

// NewLeases returns a lease manager holding nothing yet.
func NewLeases(s *Store, cfg LeasesConfig) (*Leases, error) {
	var errs []error
	if cfg.Shards <= 0 {
		errs = append(errs, fmt.Errorf("lease shards %d must be positive", cfg.Shards))
	}
	if cfg.TTL < 0 || (cfg.TTL > 0 && cfg.TTL < 10*time.Millisecond) {
		errs = append(errs, fmt.Errorf("lease ttl %s must be at least 10ms", cfg.TTL))
	}
	if cfg.Max < 0 {
		errs = append(errs, fmt.Errorf("lease max %d must not be negative", cfg.Max))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultLeaseTTL
	}
	if cfg.Owner == "" {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
		cfg.Owner = hex.EncodeToString(b[:])
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Leases{s: s, cfg: cfg, held: map[int]lease{}}, nil
}

// Owner is this replica's owner id.
func (l *Leases) Owner() string { return l.cfg.Owner }

// Owned implements windows.Leases.
func (l *Leases) Owned(shard int) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.held[shard]
	if !ok || !l.cfg.Now().Before(h.until) {
		return "", false
	}
	return h.token, true
}

// Held lists the shards held now.
func (l *Leases) Held() []int {
	var out []int
	for s := range l.cfg.Shards {
		if _, ok := l.Owned(s); ok {
			out = append(out, s)
		}
	}
	return out
}

// Tick renews the held leases and tries to take free ones, in one
// pipeline. A lease whose renewal fails is dropped locally at once.
func (l *Leases) Tick(ctx context.Context) (err error) {
	defer l.s.observe(OpLeaseTick, time.Now(), &err)
	ctx, cancel := context.WithTimeout(ctx, min(l.s.cfg.OpTimeout, l.cfg.TTL/2))
	defer cancel()
	ttl := strconv.FormatInt(l.cfg.TTL.Milliseconds(), 10)
	l.mu.Lock()
	held := make(map[int]lease, len(l.held))
	for s, h := range l.held {
		held[s] = h
	}
	l.mu.Unlock()
	sent := l.cfg.Now()
	pipe := l.s.c.Pipeline() // EVAL, not EVALSHA: a pipeline cannot fall back on NOSCRIPT
	renew := map[int]*redis.Cmd{}
	acquire := map[int]*redis.Cmd{}
	for s := range l.cfg.Shards {
		if h, ok := held[s]; ok {
			renew[s] = renewScript.Eval(ctx, pipe, nil, l.s.cfg.Prefix, strconv.Itoa(s), h.token, ttl)
		} else if l.cfg.Max == 0 || len(held) < l.cfg.Max {
			acquire[s] = acquireScript.Eval(ctx, pipe, nil, l.s.cfg.Prefix, strconv.Itoa(s), l.cfg.Owner, ttl)
		}
	}
	_, err = pipe.Exec(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		l.mu.Lock()
		for s, h := range l.held {
			if h.until.Before(l.cfg.Now()) {
				delete(l.held, s)
			}
		}
		l.mu.Unlock()
		return fmt.Errorf("redis leases: %w", err)
	}
	until := sent.Add(l.cfg.TTL * 3 / 4)
	l.mu.Lock()
	defer l.mu.Unlock()
	for s, c := range renew {
		if n, err := c.Int(); err == nil && n == 1 {
			l.held[s] = lease{token: held[s].token, until: until}
		} else {
			delete(l.held, s)
		}
	}
	for s := range l.cfg.Shards {
		c, ok := acquire[s]
		if !ok {
			continue
		}
		tok, err := c.Text()
		if err != nil {
			continue // held by another replica
		}
		if l.cfg.Max > 0 && len(l.held) >= l.cfg.Max {
			// Over the cap after all (renewals): give it back at once.
			_ = releaseScript.Run(ctx, l.s.c, nil, l.s.cfg.Prefix, strconv.Itoa(s), tok).Err() // best effort: it expires anyway
			continue
		}
		l.held[s] = lease{token: tok, until: until}
	}
	return nil
}

// Release gives back every held lease (at shutdown), so another replica
// takes over without waiting for the TTL.
func (l *Leases) Release(ctx context.Context) (err error) {
	defer l.s.observe(OpLeaseRelease, time.Now(), &err)
	l.mu.Lock()
	held := l.held
	l.held = map[int]lease{}
	l.mu.Unlock()
	var errs []error
	for s, h := range held {
		if err := releaseScript.Run(ctx, l.s.c, nil, l.s.cfg.Prefix, strconv.Itoa(s), h.token).Err(); err != nil {
			errs = append(errs, fmt.Errorf("release lease %d: %w", s, err))
		}
	}
	return errors.Join(errs...)
}

// Run ticks every TTL/3 until ctx ends, then releases the leases (with a
// fresh bounded context). Tick errors go to onErr (may be nil).
func (l *Leases) Run(ctx context.Context, onErr func(error)) error {
	t := time.NewTicker(l.cfg.TTL / 3)
	defer t.Stop()
	for {
		if err := l.Tick(ctx); err != nil && onErr != nil && ctx.Err() == nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			rctx, cancel := context.WithTimeout(context.Background(), l.s.cfg.OpTimeout)
			defer cancel()
			return l.Release(rctx)
		case <-t.C:
		}
	}
}
