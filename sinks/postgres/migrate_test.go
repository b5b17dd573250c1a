package postgres

import (
	"context"
	"strings"
	"sync"
	"testing"
)

func TestMigrateIsIdempotent(t *testing.T) {
	s, _ := openTest(t) // applied once already
	ctx := context.Background()
	all, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no embedded migrations")
	}
	res, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != len(all) {
		t.Fatalf("second run reported %d migrations, want %d", len(res), len(all))
	}
	for _, r := range res {
		if r.Applied {
			t.Errorf("migration %d applied twice", r.Version)
		}
	}
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(all) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(all))
	}
}

func TestMigrateConcurrentAppliesOnce(t *testing.T) {
	_, dsn := testSchema(t)
	ctx := context.Background()
	const replicas = 4
	applied := make([]int, replicas)
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, dsn, testLogger(t))
			if err != nil {
				errs[i] = err
				return
			}
			defer s.Close()
			res, err := s.Migrate(ctx)
			errs[i] = err
			for _, r := range res {
				if r.Applied {
					applied[i]++
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for i := range replicas {
		if errs[i] != nil {
			t.Fatalf("replica %d: %v", i, errs[i])
		}
		total += applied[i]
	}
	all, _ := Migrations()
	if total != len(all) {
		t.Fatalf("%d replicas applied %d migrations in all, want each of %d once", replicas, total, len(all))
	}
}

func TestMigrateRefusesChangedMigration(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	if _, err := s.pool.Exec(ctx, "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1"); err != nil {
		t.Fatal(err)
	}
	_, err := s.Migrate(ctx)
	if err == nil || !strings.Contains(err.Error(), "changed after it was applied") {
		t.Fatalf("Migrate after an edit: %v, want a changed-migration error", err)
	}
}
