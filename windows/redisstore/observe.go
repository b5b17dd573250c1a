package redisstore

import "time"

// Observer sees every Store and Leases call, for metrics: which operation,
// how long it took (round trips included) and its error (nil on success;
// errors.Is(err, windows.ErrFenced) for a fenced closing write). It is
// called from every goroutine that uses the store and must not block.
type Observer interface {
	ObserveOp(op string, took time.Duration, err error)
}

// Operation names passed to Observer: a fixed set, safe as a metric label.
const (
	OpApply        = "apply"         // Store.Apply: one event batch (single engine)
	OpApplyRemote  = "apply_remote"  // ApplyRemote: one event batch (distributed)
	OpReadWindow   = "read_window"   // Read, ReadWindow: a window's panes
	OpEvict        = "evict"         // Evict
	OpTenants      = "tenants"       // Tenants of a lease shard
	OpMeta         = "meta"          // Meta of a shard's tenants
	OpPanes        = "panes"         // Panes registry range
	OpRevisions    = "revisions"     // Revisions emitted so far
	OpBegin        = "begin"         // Begin: a fenced close step
	OpCommit       = "commit"        // Commit: a fenced close step
	OpForget       = "forget"        // Forget: a fenced close step
	OpLeaseTick    = "lease_tick"    // Leases.Tick: renew and take leases
	OpLeaseRelease = "lease_release" // Leases.Release at shutdown
	OpLogAppend    = "log_append"    // AppendWindow: a scored window logged
	OpLogRead      = "log_read"      // WindowsBetween: catching up on a series
	OpBasketRead   = "basket_read"   // ReadBaskets: the lease holder reads its tenants' basket logs
	OpModelSave    = "model_save"    // SaveModel: a recommendation model saved (fenced)
	OpModelLoad    = "model_load"    // LoadModel: a recommendation model loaded
)

// Ops lists every operation name.
var Ops = []string{OpApply, OpApplyRemote, OpReadWindow, OpEvict, OpTenants, OpMeta, OpPanes,
	OpRevisions, OpBegin, OpCommit, OpForget, OpLeaseTick, OpLeaseRelease, OpLogAppend, OpLogRead,
	OpBasketRead, OpModelSave, OpModelLoad}

// observe reports one call to the configured Observer; deferred with the
// call's start time and its named error result.
func (s *Store) observe(op string, start time.Time, err *error) {
	if s.cfg.Observer != nil {
		s.cfg.Observer.ObserveOp(op, time.Since(start), *err)
	}
}
