package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/olympus-cloud/pulse/windows"
)

// Defaults.
const (
	DefaultAddr   = "127.0.0.1:6379"
	DefaultPrefix = "pulse:"
	// DefaultTTL covers the default dedup horizon (49h) plus
	// out-of-orderness, idle timeout and an hour of margin.
	DefaultTTL       = 52 * time.Hour
	DefaultOpTimeout = 5 * time.Second
	// DefaultBasketMax bounds a tenant's basket log: 100,000 payloads
	// (about 10 MB of 5-SKU baskets) that no lease holder has read yet.
	DefaultBasketMax = 100_000
	// DefaultModelTTL is how long a tenant's shared recommendation model
	// and basket log outlive their last write: 90 days, three default
	// half-lives, when the counts have decayed to an eighth.
	DefaultModelTTL = 90 * 24 * time.Hour
)

// Config configures a Store. The zero value talks to DefaultAddr.
type Config struct {
	// Addr is host:port. Default DefaultAddr. Ignored when URL is set.
	Addr string
	// URL is a redis:// or rediss:// URL (password, db, options).
	URL string
	// Prefix starts every key, so several deployments (or tests) share one
	// Redis. Default DefaultPrefix.
	Prefix string
	// TTL is how long tenant state outlives its last write. It must cover
	// the engine's DedupHorizon + OutOfOrderness + AllowedLateness +
	// IdleTimeout, or state still needed for a correction (or a dedup)
	// expires early. Default DefaultTTL.
	TTL time.Duration
	// OpTimeout bounds every call. Default DefaultOpTimeout.
	OpTimeout time.Duration
	// Client, when set, is used instead of dialling (Addr and URL are
	// ignored); Close does not close it.
	Client *redis.Client
	// Observer, when set, sees every operation and its latency (metrics).
	Observer Observer
	// BasketMax bounds each tenant's basket log (the attachments of
	// windows.Update, XADD MAXLEN ~): payloads past it that the tenant's
	// lease holder has not read are lost to its model. Default
	// DefaultBasketMax.
	BasketMax int
	// ModelTTL is how long a tenant's basket log and saved model live
	// after their last write. Default DefaultModelTTL.
	ModelTTL time.Duration
}

// Validate reports every problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.TTL < 0 {
		errs = append(errs, fmt.Errorf("redis ttl %s must not be negative", c.TTL))
	}
	if c.OpTimeout < 0 {
		errs = append(errs, fmt.Errorf("redis op timeout %s must not be negative", c.OpTimeout))
	}
	if c.BasketMax < 0 {
		errs = append(errs, fmt.Errorf("basket log bound %d must not be negative", c.BasketMax))
	}
	if c.ModelTTL < 0 {
		errs = append(errs, fmt.Errorf("model ttl %s must not be negative", c.ModelTTL))
	}
	if c.URL != "" && c.Client == nil {
		if _, err := redis.ParseURL(c.URL); err != nil {
			errs = append(errs, fmt.Errorf("redis url: %w", err))
		}
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.OpTimeout == 0 {
		c.OpTimeout = DefaultOpTimeout
	}
	if c.BasketMax == 0 {
		c.BasketMax = DefaultBasketMax
	}
	if c.ModelTTL == 0 {
		c.ModelTTL = DefaultModelTTL
	}
	return c
}

// Store is the Redis state: a windows.Store (aggregates and dedup for one
// engine) and a windows.Remote (everything, for distributed mode). Safe
// for concurrent use; every method is one round trip or one pipeline.
type Store struct {
	cfg        Config
	c          *redis.Client
	own        bool
	ttlMs      string
	basketMax  string
	modelTTLMs string
}

var (
	_ windows.Store  = (*Store)(nil)
	_ windows.Remote = (*Store)(nil)
)

// New connects (and pings) Redis.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("redis store config: %w", err)
	}
	cfg = cfg.withDefaults()
	s := &Store{cfg: cfg, c: cfg.Client, ttlMs: fmt.Sprint(cfg.TTL.Milliseconds()),
		basketMax: fmt.Sprint(cfg.BasketMax), modelTTLMs: fmt.Sprint(cfg.ModelTTL.Milliseconds())}
	if s.c == nil {
		opt := &redis.Options{Addr: cfg.Addr}
		if cfg.URL != "" {
			var err error
			if opt, err = redis.ParseURL(cfg.URL); err != nil {
				return nil, fmt.Errorf("redis url: %w", err)
			}
		}
		s.c, s.own = redis.NewClient(opt), true
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.OpTimeout)
	defer cancel()
	if err := s.c.Ping(ctx).Err(); err != nil {
		if s.own {
			_ = s.c.Close() // the ping error is the one worth reporting
		}
		return nil, fmt.Errorf("redis ping %s: %w", cfg.Addr, err)
	}
	return s, nil
}

// Client is the underlying client (for health checks).
func (s *Store) Client() *redis.Client { return s.c }

// Prefix is the key prefix in use.
func (s *Store) Prefix() string { return s.cfg.Prefix }

// Close closes the client if New dialled it.
func (s *Store) Close() error {
	if s.own {
		return s.c.Close()
	}
	return nil
}

func (s *Store) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.cfg.OpTimeout)
}

// fenced maps the scripts' FENCED reply to windows.ErrFenced.
func fenced(err error) error {
	if err != nil && strings.Contains(err.Error(), "FENCED") {
		return fmt.Errorf("%w: %v", windows.ErrFenced, err)
	}
	return err
}
