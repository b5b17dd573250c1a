package postgres

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

func TestLoadSettings(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	_, err := s.pool.Exec(ctx, `INSERT INTO tenant_settings (tenant_id, time_zone, currency, window_sizes, detector) VALUES
		('shop-a', 'Europe/Berlin', 'EUR', '{1h}', '{"*": {"threshold": 3}, "revenue": {"method": "robust", "threshold": 3.5, "critical": 6}}'),
		('shop-b', 'Mars/Olympus', 'XXX', '{}', '{"orders": {"method": "magic"}, "revenue": {"threshold": 3}}');
		INSERT INTO muted_periods (tenant_id, metric, starts_at, ends_at, reason) VALUES
		('shop-a', NULL, '2026-03-10 00:00Z', '2026-03-11 00:00Z', 'spring sale'),
		('shop-a', 'orders', '2026-03-20 00:00Z', '2026-03-21 00:00Z', 'migration'),
		('shop-a', NULL, '2026-01-01 00:00Z', '2026-01-02 00:00Z', 'long over')`)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	st, err := s.LoadSettings(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if z := st.Zone("shop-a"); z == nil || z.String() != "Europe/Berlin" {
		t.Errorf("zone of shop-a: %v", z)
	}
	if z := st.Zones(); len(z) != 1 || z["shop-a"] == nil {
		t.Errorf("zones %v: want only shop-a (shop-b's zone is invalid)", z)
	}
	if st.Currency("shop-a") != "EUR" || st.Currency("shop-b") != DefaultCurrency || st.Currency("nobody") != DefaultCurrency {
		t.Errorf("currencies %s %s %s", st.Currency("shop-a"), st.Currency("shop-b"), st.Currency("nobody"))
	}
	if d, ok := st.Detector("shop-a", "revenue"); !ok || d.Method != "robust" || d.Threshold != 3.5 || d.Critical != 6 {
		t.Errorf("shop-a revenue detector %+v %v", d, ok)
	}
	if d, ok := st.Detector("shop-a", "orders"); !ok || d.Threshold != 3 {
		t.Errorf("shop-a orders detector %+v %v, want the * entry", d, ok)
	}
	if _, ok := st.Detector("shop-b", "orders"); ok {
		t.Error("shop-b's invalid orders detector was kept")
	}
	if d, ok := st.Detector("shop-b", "revenue"); !ok || d.Threshold != 3 {
		t.Errorf("shop-b's valid revenue detector lost: %+v %v", d, ok)
	}
	if got := st.WindowSizes("shop-a"); len(got) != 1 || got[0] != "1h" {
		t.Errorf("window sizes %v", got)
	}
	if st.WindowSizes("shop-b") != nil {
		t.Error("empty window sizes should mean the default (nil)")
	}
	cases := []struct {
		name   string
		metric string
		at     string
		want   bool
	}{
		{"inside the sale, any metric", "revenue", "2026-03-10T12:00:00Z", true},
		{"start is inclusive", "orders", "2026-03-10T00:00:00Z", true},
		{"end is exclusive", "orders", "2026-03-11T00:00:00Z", false},
		{"before", "orders", "2026-03-09T23:59:59Z", false},
		{"metric-only period, its metric", "orders", "2026-03-20T05:00:00Z", true},
		{"metric-only period, other metric", "revenue", "2026-03-20T05:00:00Z", false},
	}
	for _, c := range cases {
		at, _ := time.Parse(time.RFC3339, c.at)
		if got := st.Muted("shop-a", c.metric, at); got != c.want {
			t.Errorf("%s: Muted = %v", c.name, got)
		}
	}
	if len(st.MutedPeriods("shop-a")) != 2 {
		t.Errorf("muted periods %v: the one over before now should not load", st.MutedPeriods("shop-a"))
	}
	var nilSettings *Settings
	if nilSettings.Muted("shop-a", "orders", now) || nilSettings.Zone("shop-a") != nil || nilSettings.Currency("x") != DefaultCurrency {
		t.Error("nil settings should answer as empty")
	}
}

// A change to a row, and a delete, reach the watcher without a restart; a
// failing Postgres keeps the last good snapshot.
func TestWatchSettingsRefreshes(t *testing.T) {
	s, _ := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := s.pool.Exec(ctx, `INSERT INTO tenant_settings (tenant_id, time_zone) VALUES ('shop-a', 'UTC')`); err != nil {
		t.Fatal(err)
	}
	first, err := s.LoadSettings(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	live := NewLive(first)
	var calls atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.WatchSettings(ctx, 5*time.Millisecond, first, func(st *Settings) { calls.Add(1); live.Set(st) })
	}()
	zone := func() string {
		if z := live.Settings().Zone("shop-a"); z != nil {
			return z.String()
		}
		return ""
	}
	if _, err := s.pool.Exec(ctx, `UPDATE tenant_settings SET time_zone = 'Asia/Tokyo' WHERE tenant_id = 'shop-a'`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new zone", func() bool { return zone() == "Asia/Tokyo" })

	at := time.Now().Add(time.Hour)
	if _, err := s.pool.Exec(ctx, `INSERT INTO muted_periods (tenant_id, starts_at, ends_at) VALUES ('shop-a', $1, $2)`, at.Add(-time.Minute), at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the muted period", func() bool { return live.Settings().Muted("shop-a", "orders", at) })
	if _, err := s.pool.Exec(ctx, `DELETE FROM muted_periods`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delete", func() bool { return !live.Settings().Muted("shop-a", "orders", at) })

	// Postgres failing (the revision table unreadable): the snapshot stays.
	if _, err := s.pool.Exec(ctx, `ALTER TABLE settings_revision RENAME TO settings_revision_gone`); err != nil {
		t.Fatal(err)
	}
	before := calls.Load()
	rev := live.Settings().Revision
	waitFor(t, "polls to fail", func() bool {
		_, err := s.SettingsRevision(ctx)
		return err != nil
	})
	if live.Settings() == nil || zone() != "Asia/Tokyo" || live.Settings().Revision != rev {
		t.Fatal("the snapshot changed while Postgres failed")
	}
	if _, err := s.pool.Exec(ctx, `ALTER TABLE settings_revision_gone RENAME TO settings_revision;
		UPDATE tenant_settings SET time_zone = 'America/New_York'`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "refresh after recovery", func() bool { return zone() == "America/New_York" })
	if calls.Load() <= before {
		t.Error("no change handed over after recovery")
	}
	cancel()
	<-done
}

func TestLiveAllowWithholdsMutedIncidents(t *testing.T) {
	sale := MutedPeriod{TenantID: "shop-a", Start: t0.Add(24 * time.Hour), End: t0.Add(48 * time.Hour)}
	st := &Settings{tenants: map[string]*TenantSettings{}, muted: map[string][]MutedPeriod{"shop-a": {sale}}}
	l := NewLive(st)
	at := func(ins []events.Insight, d time.Duration) []events.Insight {
		for i := range ins {
			ins[i].Window.Start, ins[i].Window.End = ins[i].Window.Start.Add(d), ins[i].Window.End.Add(d)
		}
		return ins
	}
	cases := []struct {
		name   string
		ins    []events.Insight
		allow  bool
		reason string
	}{
		{"opened inside the sale", at(lifecycle("shop-a", "in-sale"), 30*time.Hour), false, "the whole incident is withheld"},
		{"opened before the sale", at(lifecycle("shop-a", "before"), 22*time.Hour), true, "an incident already shown is finished"},
		{"other tenant", at(lifecycle("shop-b", "other"), 30*time.Hour), true, "muting is per tenant"},
	}
	for _, c := range cases {
		for _, in := range c.ins {
			if got := l.Allow(in); got != c.allow {
				t.Errorf("%s: %s allowed %v (%s)", c.name, in.Kind, got, c.reason)
			}
		}
	}
	metrics := lifecycle("shop-a", "x")[0]
	metrics.Kind, metrics.Window.Start, metrics.Window.End = events.KindWindowMetrics, sale.Start, sale.End
	if !l.Allow(metrics) {
		t.Error("window metrics withheld during a mute")
	}
	if len(l.muted) != 0 {
		t.Errorf("%d muted incidents remembered after they resolved", len(l.muted))
	}
}
