package postgres

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
)

// incidentRecorder is what a HistoryWriter writes to: the Store.
type incidentRecorder interface {
	RecordInsight(ctx context.Context, in events.Insight) error
}

// HistoryWriterConfig sizes a HistoryWriter. The zero value is usable.
type HistoryWriterConfig struct {
	// QueueSize bounds the insights waiting to be written (default 10000);
	// beyond it Observe drops and counts.
	QueueSize int
	// MinBackoff and MaxBackoff bound the wait between retries of a failed
	// write (defaults 100ms and 30s); retries go on until Close.
	MinBackoff, MaxBackoff time.Duration
	// Timeout bounds one write attempt (default 10s).
	Timeout time.Duration
}

// HistoryWriter records anomaly insights in the alert history off the
// pipeline's path: Observe never blocks, one background goroutine writes in
// order and retries with backoff while Postgres is down. Register it with
// Outputs.Observe(w.Observe).
type HistoryWriter struct {
	cfg   HistoryWriterConfig
	store incidentRecorder
	log   zerolog.Logger
	queue chan events.Insight
	done  chan struct{}
	stop  context.CancelFunc
	ctx   context.Context
	once  sync.Once

	Written  atomic.Int64 // insights written (replays included)
	Retries  atomic.Int64 // failed attempts retried
	Dropped  atomic.Int64 // insights refused because the queue was full
	Abandon  atomic.Int64 // insights still unwritten when Close gave up
	failing  atomic.Bool
	closeMu  sync.RWMutex
	isClosed bool
}

// NewHistoryWriter starts the background writer.
func NewHistoryWriter(cfg HistoryWriterConfig, store *Store, log zerolog.Logger) *HistoryWriter {
	return newHistoryWriter(cfg, store, log)
}

func newHistoryWriter(cfg HistoryWriterConfig, store incidentRecorder, log zerolog.Logger) *HistoryWriter {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 10000
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	ctx, stop := context.WithCancel(context.Background())
	w := &HistoryWriter{cfg: cfg, store: store, log: log, queue: make(chan events.Insight, cfg.QueueSize),
		done: make(chan struct{}), ctx: ctx, stop: stop}
	go w.run()
	return w
}

// Observe queues an anomaly.* insight for the alert history and returns at
// once; other kinds are ignored. When the queue is full (Postgres down for
// long) the insight is dropped and counted in Dropped: the pipeline never
// waits for the alert history.
func (w *HistoryWriter) Observe(in events.Insight) {
	if !IsIncident(in) {
		return
	}
	w.closeMu.RLock()
	defer w.closeMu.RUnlock()
	if w.isClosed {
		w.Dropped.Add(1)
		return
	}
	select {
	case w.queue <- in:
	default:
		if n := w.Dropped.Add(1); n&(n-1) == 0 { // log at powers of two
			w.log.Warn().Str("tenant_id", in.TenantID).Str("incident_id", in.IncidentID).
				Int64("dropped", n).Msg("alert history queue full: insight not recorded")
		}
	}
}

// Pending is the number of insights waiting to be written.
func (w *HistoryWriter) Pending() int { return len(w.queue) }

// Healthy is false while writes are failing.
func (w *HistoryWriter) Healthy() bool { return !w.failing.Load() }

func (w *HistoryWriter) run() {
	defer close(w.done)
	for in := range w.queue {
		w.write(in)
	}
}

// write retries one insight until it is written or Close gives up.
func (w *HistoryWriter) write(in events.Insight) {
	backoff := w.cfg.MinBackoff
	for {
		ctx, cancel := context.WithTimeout(w.ctx, w.cfg.Timeout)
		err := w.store.RecordInsight(ctx, in)
		cancel()
		if err == nil {
			w.Written.Add(1)
			if w.failing.Swap(false) {
				w.log.Info().Msg("alert history writes recovered")
			}
			return
		}
		if w.ctx.Err() != nil {
			w.Abandon.Add(1)
			return
		}
		w.Retries.Add(1)
		if !w.failing.Swap(true) {
			w.log.Error().Err(err).Str("tenant_id", in.TenantID).Str("incident_id", in.IncidentID).
				Msg("alert history write failed; retrying with backoff")
		}
		// Full jitter keeps replicas from retrying in step.
		t := time.NewTimer(time.Duration(rand.Int64N(int64(backoff)) + 1))
		select {
		case <-t.C:
		case <-w.ctx.Done():
			t.Stop()
			w.Abandon.Add(1)
			return
		}
		backoff = min(2*backoff, w.cfg.MaxBackoff)
	}
}

// Close stops accepting insights and writes those queued, until ctx ends;
// then it abandons the rest (counted in Abandon) and returns ctx's error.
// Safe to call more than once.
func (w *HistoryWriter) Close(ctx context.Context) error {
	w.once.Do(func() {
		w.closeMu.Lock()
		w.isClosed = true
		close(w.queue)
		w.closeMu.Unlock()
	})
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		w.stop()
		<-w.done
		return ctx.Err()
	}
}
