package recommend

import "sync"

// Registry holds the latest published Snapshot of each tenant, for readers
// on other goroutines (the HTTP API). Owners publish with Publish; readers
// never wait for an owner, only for the registry's short lock. The zero
// value is ready. One snapshot per tenant is kept: memory is the tenants'
// snapshots, each at most its tenant's scorable pairs twice (both
// directions) and its tracked items.
type Registry struct {
	mu   sync.RWMutex
	byID map[string]*Snapshot
}

// Publish makes s the tenant's current snapshot, unless the registry
// already holds a later one (a slow publisher cannot roll a tenant back).
func (r *Registry) Publish(s *Snapshot) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byID == nil {
		r.byID = map[string]*Snapshot{}
	}
	if old := r.byID[s.tenant]; old != nil && old.at.After(s.at) {
		return
	}
	r.byID[s.tenant] = s
}

// Snapshot returns the tenant's current snapshot, or nil when none was
// published.
func (r *Registry) Snapshot(tenant string) *Snapshot {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byID[tenant]
}

// Lookup is Snapshot for readers that may fail elsewhere (the API's
// Recommendations); a registry never fails.
func (r *Registry) Lookup(tenant string) (*Snapshot, error) { return r.Snapshot(tenant), nil }

// Len is the number of tenants with a snapshot.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.byID)
}
