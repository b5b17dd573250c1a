package postgres

import (
	"context"
	"testing"
	"time"
)

// A zone change is remembered by the database (the zone before and when it
// was saved), so every replica cuts the same transition day.
func TestZoneChangeIsRememberedForEveryReplica(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	load := func() *Settings {
		t.Helper()
		st, err := s.LoadSettings(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	var dbNow time.Time
	if err := s.pool.QueryRow(ctx, `INSERT INTO tenant_settings (tenant_id, time_zone) VALUES ('shop-a', 'UTC'), ('shop-b', 'Asia/Tokyo') RETURNING now()`).Scan(&dbNow); err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	if z := load().TenantZone("shop-a", time.UTC); z.Previous != nil || z.Loc.String() != "UTC" {
		t.Fatalf("a row in the default zone is no change: %+v", z)
	}
	// A new row in another zone changes from the process default.
	if z := load().TenantZone("shop-b", berlin); z.Previous != berlin || z.Loc.String() != "Asia/Tokyo" || !z.Since.Equal(dbNow.UTC().Add(ZoneChangeMargin)) {
		t.Fatalf("shop-b: %+v, want Europe/Berlin (the default) to Asia/Tokyo from %s", z, dbNow.UTC().Add(ZoneChangeMargin))
	}
	if z := load().TenantZone("shop-c", berlin); z.Loc != berlin || z.Previous != nil {
		t.Fatalf("no row: %+v, want the default", z)
	}

	var changed time.Time
	if err := s.pool.QueryRow(ctx, `UPDATE tenant_settings SET time_zone = 'America/New_York' WHERE tenant_id = 'shop-a' RETURNING zone_changed_at`).Scan(&changed); err != nil {
		t.Fatal(err)
	}
	z := load().TenantZone("shop-a", time.UTC)
	if z.Loc.String() != "America/New_York" || z.Previous == nil || z.Previous.String() != "UTC" || !z.Since.Equal(changed.UTC().Add(ZoneChangeMargin)) {
		t.Fatalf("after the change: %+v", z)
	}
	// Another column changing keeps the zone change as it was.
	if _, err := s.pool.Exec(ctx, `UPDATE tenant_settings SET currency = 'EUR' WHERE tenant_id = 'shop-a'`); err != nil {
		t.Fatal(err)
	}
	if again := load().TenantZone("shop-a", time.UTC); again.Previous.String() != "UTC" || !again.Since.Equal(z.Since) {
		t.Fatalf("an unrelated update moved the zone change: %+v, was %+v", again, z)
	}
	// The transition: the UTC day holding the saved moment plus the margin
	// stays whole; days of New York follow.
	sw := z.Switch()
	if got := time.Unix(0, sw).UTC(); !got.Equal(z.Since.UTC().Truncate(24*time.Hour).Add(24*time.Hour)) && !got.Equal(z.Since.UTC()) {
		t.Fatalf("switch at %s, want the first UTC midnight at or after %s", got, z.Since)
	}
}
