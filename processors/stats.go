package processors

import (
	"sort"
	"sync"
	"sync/atomic"

	"github.com/olympus-cloud/pulse/events"
)

// Stats counts what the pipeline did. Safe for concurrent use.
type Stats struct {
	Received     atomic.Int64
	Acked        atomic.Int64
	Nacked       atomic.Int64
	Valid        atomic.Int64
	DeadLettered atomic.Int64
	capRejected  atomic.Int64 // valid events a window cap kept out

	windowsReplayed atomic.Int64 // window log records replayed on a takeover
	windowLogErrors atomic.Int64 // window log reads or appends that failed

	basketsRead  atomic.Int64 // basket payloads learned from the shared log
	basketGaps   atomic.Int64 // payloads malformed, or log entries dropped unread
	modelsLoaded atomic.Int64 // saved recommendation models loaded on a takeover
	modelErrors  atomic.Int64 // shared model reads, loads or saves that failed

	mu       sync.Mutex
	byReason map[events.Reason]int64
	byTenant map[string]int64
}

// NewStats returns zeroed counters.
func NewStats() *Stats {
	return &Stats{byReason: map[events.Reason]int64{}, byTenant: map[string]int64{}}
}

func (s *Stats) deadLetter(r events.Reason) {
	s.DeadLettered.Add(1)
	s.mu.Lock()
	s.byReason[r]++
	s.mu.Unlock()
}

func (s *Stats) tenant(id string) {
	s.mu.Lock()
	s.byTenant[id]++
	s.mu.Unlock()
}

// DeadLetteredByReason returns a copy of the dead-letter counts per reason.
func (s *Stats) DeadLetteredByReason() map[events.Reason]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[events.Reason]int64, len(s.byReason))
	for k, v := range s.byReason {
		m[k] = v
	}
	return m
}

// TenantCount is one tenant's number of applied valid events.
type TenantCount struct {
	Tenant string `json:"tenant_id"`
	Events int64  `json:"events"`
}

// Tenants returns the applied-event counts per tenant, largest first.
func (s *Stats) Tenants() []TenantCount {
	s.mu.Lock()
	out := make([]TenantCount, 0, len(s.byTenant))
	for k, v := range s.byTenant {
		out = append(out, TenantCount{k, v})
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Events != out[j].Events {
			return out[i].Events > out[j].Events
		}
		return out[i].Tenant < out[j].Tenant
	})
	return out
}
