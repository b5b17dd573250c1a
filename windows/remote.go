package windows

import (
	"errors"
	"fmt"

	"github.com/cespare/xxhash/v2"
)

// Distributed switches an Engine to distributed mode: several replicas
// (and several engines in one replica) share one Remote, any of them may
// apply any event, and a window is closed only by the engine that holds
// its tenant's lease shard. See doc.go, "Distributed mode".
type Distributed struct {
	// Remote holds every piece of tenant state: aggregates, dedup keys,
	// watermark sources, pane registry, frontiers, emitted revisions.
	Remote Remote
	// Leases says which lease shards this replica holds now, with the
	// fencing token that Remote checks on every closing write.
	Leases Leases
	// Shards is the number of lease shards; a tenant's shard is
	// ShardOf(tenant, Shards). Every replica must use the same number.
	Shards int
	// Member and Members split the held shards between the engines of one
	// replica: this engine closes shard s only if s%Members == Member.
	// Default 0 of 1: it closes every held shard.
	Member, Members int
	// Sync, when set, returns once everything emitted for tenant so far is
	// published. A close step emits its results, calls Sync, and only then
	// commits: a replica killed before the commit has the step closed
	// again by the next holder (same ids, and a correction where events
	// arrived in between), one killed after it has lost nothing. Without
	// Sync a step commits as soon as emit returns.
	Sync func(tenant string) error
}

func (d *Distributed) validate() error {
	var errs []error
	if d.Remote == nil {
		errs = append(errs, errors.New("distributed: Remote is required"))
	}
	if d.Leases == nil {
		errs = append(errs, errors.New("distributed: Leases is required"))
	}
	if d.Shards <= 0 {
		errs = append(errs, fmt.Errorf("distributed: shards %d must be positive", d.Shards))
	}
	if d.Members < 0 || d.Member < 0 || (d.Members > 0 && d.Member >= d.Members) {
		errs = append(errs, fmt.Errorf("distributed: member %d of %d", d.Member, d.Members))
	}
	return errors.Join(errs...)
}

// ShardOf is the lease shard of a tenant: the same on every replica.
func ShardOf(tenant string, shards int) int {
	return int(xxhash.Sum64String(tenant) % uint64(shards))
}

// Leases is the lease view of a replica.
type Leases interface {
	// Owned returns the fencing token of a held shard; ok is false when the
	// shard is not held or its lease may have expired.
	Owned(shard int) (token string, ok bool)
}

// ErrFenced is returned by a Remote's closing writes when the token is no
// longer the shard's current lease: another replica took over.
var ErrFenced = errors.New("lease lost: write fenced")

// Remote is the state of distributed mode, shared by every replica
// (redisstore.Remote). It is larger than the usual seam because closing is
// split into steps with fenced writes between them; every method is one
// round trip and safe for concurrent use.
type Remote interface {
	// ApplyRemote applies the batch atomically (one script): per update,
	// dedup on (Tenant, EventKey), then for every grid whose pane is not
	// past the tenant's too-late bound: increments, customers, the pane
	// registry, and a dirty mark with its late count when the pane's end is
	// at or before the tenant's frontier; per tenant: largest event time,
	// last processing time, floor on first sight, shard membership.
	ApplyRemote(batch []RemoteUpdate, out []RemoteResult) error
	// Tenants lists the tenants of a lease shard.
	Tenants(shard int) ([]string, error)
	// Meta loads the tenants' metadata (out[i] for tenants[i]).
	Meta(tenants []string, out []TenantMeta) error
	// Panes appends to dst the starts of the tenant's live panes of grid g
	// in [from, to), sorted.
	Panes(tenant string, g int, from, to int64, dst []int64) ([]int64, error)
	// ReadWindow adds the aggregates of the given panes to dst, and to late
	// the late events per currency applied while the frontier was at or
	// past lateFrom (math.MaxInt64: none).
	ReadWindow(tenant string, g int, starts []int64, lateFrom int64, dst *Totals, late *[]CurrencyCount) error
	// Revisions sets Rev of each record to the window's last emitted
	// revision (0: none).
	Revisions(tenant string, recs []Revision) error
	// Begin raises the tenant's frontier (events for windows ending at or
	// before it are late from now on) and too-late bound. Fenced.
	Begin(token string, shard int, tenant string, frontier, tooLate int64) error
	// Commit records a close step. Fenced.
	Commit(token string, shard int, tenant string, c *Commit) error
	// Forget drops a tenant idle since lastSeen with nothing left, unless
	// it has been active since. Fenced.
	Forget(token string, shard int, tenant string, lastSeen int64) error
}

// RemoteUpdate is one event's effect in distributed mode: the store update
// plus what the script needs to decide lateness without the engine's
// memory.
type RemoteUpdate struct {
	Update
	Shard int
	Now   int64 // processing time: the tenant's last activity
	// Floor is the tenant's too-late bound if this is its first event.
	Floor int64
	// PaneEnd and LastEnd are, per grid in Grids, the pane's end and the
	// latest end of a window holding it.
	PaneEnd, LastEnd [MaxGrids]int64
}

// RemoteResult is what ApplyRemote did with one update.
type RemoteResult struct {
	Duplicate bool
	Late      int // grids whose pane was already closed (a correction follows)
	Dropped   int // grids whose pane was past the correction horizon
}

// TenantMeta is a tenant's shared metadata.
type TenantMeta struct {
	Known     bool  // false: no state (never seen, expired or forgotten)
	Seen      bool  // MaxT is set
	MaxT      int64 // largest event time applied
	LastSeen  int64 // latest processing time of an event
	Floor     int64
	Frontier  int64 // raised by Begin; math.MinInt64: none
	Committed int64 // windows ending at or before it are emitted; math.MinInt64: none
	Dirty     []Dirty
}

// Dirty counts late events applied to a pane while the frontier was at
// Frontier: the windows holding the pane that end at or before Frontier
// owe a correction.
type Dirty struct {
	Grid     int
	Start    int64
	Frontier int64
	N        int64
}

// Revision is a window's emitted revision.
type Revision struct {
	Spec       int
	Start, End int64
	Rev        int
}

// CurrencyCount is a count per currency.
type CurrencyCount struct {
	Currency string
	N        int64
}

// Commit is one fenced close step of a tenant.
type Commit struct {
	// Frontier becomes the committed frontier (math.MinInt64: unchanged).
	Frontier int64
	// Revisions emitted in this step.
	Revisions []Revision
	// Dirty marks consumed: their counts are subtracted.
	Dirty []Dirty
	// EvictPanes are the panes past the correction horizon, per grid.
	EvictPanes [MaxGrids][]int64
	// TooLate: revision records of windows ending at or before it are
	// dropped (math.MinInt64: none).
	TooLate int64
	// IDsBefore: dedup keys of events before it are dropped
	// (math.MinInt64: none).
	IDsBefore int64
}
