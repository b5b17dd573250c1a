package processors

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/windows"
)

// ErrNoShards is returned by OpenWindows.Open before Attach.
var ErrNoShards = errors.New("open windows: no shards attached yet")

// DefaultOpenWindowsTimeout bounds how long OpenWindows.Open waits for a
// place in the owning shard's queue.
const DefaultOpenWindowsTimeout = 2 * time.Second

// OpenWindows reads a tenant's open windows, with their partial figures,
// on the shard goroutine that owns the tenant's engine (Shards.Do): the
// query API's view of windows not closed yet (it satisfies api.OpenWindows).
// The API is built before the shards, so they are attached later; it is
// safe for concurrent use.
type OpenWindows struct {
	// Timeout bounds the wait for the shard's queue (a busy shard delays
	// the answer rather than the pipeline). Default
	// DefaultOpenWindowsTimeout. Once queued, the read itself is one
	// engine call: in memory, a merge of the window's panes; on Redis, a
	// few round trips.
	Timeout time.Duration

	shards atomic.Pointer[Shards]
}

// Attach sets the shards to read from.
func (o *OpenWindows) Attach(s *Shards) { o.shards.Store(s) }

// engineOwner is the part of a shard's state OpenWindows needs.
type engineOwner interface{ Engine() *windows.Engine }

// Open returns the tenant's open windows of the size as window.metrics
// insights of revision 0 (method window.open), generated at now, oldest
// first. A size the engine does not compute has no open windows. An error
// means the figures could not be read (no shards yet, the shard's queue
// full past the timeout, the Redis state unreachable): never a guess.
func (o *OpenWindows) Open(ctx context.Context, tenant, size string, now time.Time) ([]events.Insight, error) {
	s := o.shards.Load()
	if s == nil {
		return nil, ErrNoShards
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultOpenWindowsTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var open []windows.Closed
	var readErr error
	err := s.Do(ctx, tenant, func(st ShardState) {
		e, ok := st.(engineOwner)
		if !ok {
			readErr = fmt.Errorf("open windows: shard state %T has no windows engine", st)
			return
		}
		open, readErr = e.Engine().OpenWindows(tenant, size, nil)
	})
	if err = errors.Join(err, readErr); err != nil {
		if errors.Is(err, windows.ErrUnknownWindow) {
			return nil, nil
		}
		return nil, fmt.Errorf("open windows of tenant %q: %w", tenant, err)
	}
	out := make([]events.Insight, 0, len(open))
	for _, c := range open {
		out = append(out, c.Insight(now))
	}
	return out, nil
}
