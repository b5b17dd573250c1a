package postgres

import (
	"context"
	"time"
)

// SettingsRevision is the current settings_revision: it moves on every
// change to tenant_settings or muted_periods, deletes included.
func (s *Store) SettingsRevision(ctx context.Context) (int64, error) {
	var rev int64
	err := s.pool.QueryRow(ctx, "SELECT revision FROM settings_revision").Scan(&rev)
	return rev, err
}

// WatchSettings polls the settings revision every interval (default 10s)
// and, when it moved since last (nil: on the first poll), loads a new
// snapshot and hands it to onChange. It returns when ctx ends. A failed
// poll or load is logged and retried at the next tick: the caller keeps the
// last good snapshot, so Postgres being down changes nothing until it is
// back. onChange runs on the watcher's goroutine, one call at a time.
func (s *Store) WatchSettings(ctx context.Context, every time.Duration, last *Settings, onChange func(*Settings)) {
	if every <= 0 {
		every = 10 * time.Second
	}
	known := int64(-1)
	if last != nil {
		known = last.Revision
	}
	failing := false
	poll := func() {
		rev, err := s.SettingsRevision(ctx)
		if err == nil && rev == known {
			return
		}
		var next *Settings
		if err == nil {
			next, err = s.LoadSettings(ctx, time.Now())
		}
		if err != nil {
			if ctx.Err() == nil && !failing {
				s.log.Warn().Err(err).Msg("settings refresh failed; keeping the last snapshot")
			}
			failing = true
			return
		}
		if failing {
			s.log.Info().Msg("settings refresh recovered")
		}
		failing = false
		known = next.Revision
		s.log.Info().Int64("revision", next.Revision).Int("tenants", len(next.tenants)).Msg("settings loaded")
		onChange(next)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	poll()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			poll()
		}
	}
}
