package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
)

// Store is Pulse's Postgres: tenant settings, alert history and the warm
// start's reads of commerce.orders. Safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	log  zerolog.Logger
}

// ErrNoURL is returned by Open for an empty connection string.
var ErrNoURL = errors.New("no postgres url")

// Open connects a pool to url (postgres://user@host:5432/db?sslmode=disable;
// a search_path parameter selects the schema of Pulse's tables) and checks
// that the server answers.
func Open(ctx context.Context, url string, log zerolog.Logger) (*Store, error) {
	s, err := New(url, log)
	if err != nil {
		return nil, err
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.Close()
		cfg := s.pool.Config().ConnConfig
		return nil, fmt.Errorf("postgres %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	return s, nil
}

// New makes a Store without connecting: connections are made on first use
// and remade after failures, so a process can start while Postgres is down
// and use it once it is back.
func New(url string, log zerolog.Logger) (*Store, error) {
	if url == "" {
		return nil, ErrNoURL
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may echo the url, password included.
		return nil, errors.New("parse postgres url: malformed connection string")
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres pool: %w", err)
	}
	return &Store{pool: pool, log: log}, nil
}

// Ping checks the server answers (a readiness check).
func (s *Store) Ping(ctx context.Context) error { return s.pool.Ping(ctx) }

// Close closes the pool, waiting for connections in use to be released.
func (s *Store) Close() { s.pool.Close() }
