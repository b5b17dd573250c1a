package postgres

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one embedded schema change, applied once, in version order.
type Migration struct {
	Version  int
	Name     string
	Checksum string // sha256 of the file, hex
	sql      string
}

// MigrationResult says what Migrate did with one migration.
type MigrationResult struct {
	Migration
	Applied bool // false: it was already applied
}

// migrateLock is the advisory lock key that serialises Migrate across
// replicas starting at once ("pulse_mi" in ASCII).
const migrateLock = 0x70756c73655f6d69

// Migrations lists the embedded migrations in version order.
func Migrations() ([]Migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []Migration
	seen := map[int]string{}
	for _, path := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(path, "migrations/"), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must be NNNN_name.sql", path)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", other, path, v)
		}
		seen[v] = path
		b, err := migrationFiles.ReadFile(path)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		out = append(out, Migration{Version: v, Name: name, Checksum: hex.EncodeToString(sum[:]), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Migrate applies the embedded migrations not yet recorded in
// schema_migrations, each in its own transaction, under an advisory lock so
// concurrent callers apply each migration once. It is idempotent: a second
// run applies nothing. A recorded migration whose file changed since is an
// error (edit by adding a migration, never by changing one).
func (s *Store) Migrate(ctx context.Context) ([]MigrationResult, error) {
	all, err := Migrations()
	if err != nil {
		return nil, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrateLock)); err != nil {
		return nil, fmt.Errorf("migrate: lock: %w", err)
	}
	defer func() {
		// A failed unlock is released with the session; nothing to do.
		_, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrateLock))
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		checksum   text NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("migrate: schema_migrations: %w", err)
	}
	applied := map[int]string{}
	rows, err := conn.Query(ctx, "SELECT version, checksum FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			rows.Close()
			return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
		}
		applied[v] = sum
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("migrate: read schema_migrations: %w", err)
	}
	var out []MigrationResult
	for _, m := range all {
		if sum, ok := applied[m.Version]; ok {
			if sum != m.Checksum {
				return out, fmt.Errorf("migration %04d_%s changed after it was applied (checksum %s, recorded %s)", m.Version, m.Name, m.Checksum[:12], sum[:min(12, len(sum))])
			}
			out = append(out, MigrationResult{Migration: m})
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// No arguments: the simple protocol, so a file may hold many
			// statements.
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", m.Version, m.Name, m.Checksum)
			return err
		})
		if err != nil {
			return out, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		s.log.Info().Int("version", m.Version).Str("name", m.Name).Msg("migration applied")
		out = append(out, MigrationResult{Migration: m, Applied: true})
	}
	return out, nil
}
