package processors

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/olympus-cloud/pulse/processors/recommend"
)

// ModelLoader reads the models the lease holders save (SharedModels).
type ModelLoader interface {
	LoadModel(tenant, haveID string, haveAt int64) (id string, at int64, model []byte, err error)
}

// Defaults of SharedRecommendations.
const (
	DefaultModelCacheFor     = 5 * time.Second
	DefaultModelCacheTenants = 256
)

// SharedRecommendationsConfig configures SharedRecommendations.
type SharedRecommendationsConfig struct {
	// Models is where the lease holders save their models. Required.
	Models ModelLoader
	// Recommend must be the pipeline's model configuration.
	Recommend recommend.Config
	// CacheFor is how long a tenant's snapshot is served before the saved
	// model is checked again (default 5s).
	CacheFor time.Duration
	// MaxTenants bounds the cached snapshots (default 256); the one
	// checked longest ago goes first.
	MaxTenants int
	// Now is the clock of the cache. Default time.Now.
	Now func() time.Time
}

// Validate reports every problem at once.
func (c SharedRecommendationsConfig) Validate() error {
	var errs []error
	if c.Models == nil {
		errs = append(errs, errors.New("shared recommendations: Models is required"))
	}
	if c.CacheFor < 0 || c.MaxTenants < 0 {
		errs = append(errs, fmt.Errorf("shared recommendations: cache for %s and max tenants %d must not be negative", c.CacheFor, c.MaxTenants))
	}
	return errors.Join(append(errs, c.Recommend.Validate())...)
}

// SharedRecommendations answers /recommendations on any replica in
// distributed mode, whichever holds the tenant: from the model the
// tenant's lease holder saved last (SharedModels), decoded into a
// recommend.Snapshot at the instant it was saved and cached. An answer is
// therefore as old as the last save (at most WindowStateConfig's
// ModelSaveEvery after the holder learned an order, plus its tick) plus
// CacheFor; a cached snapshot whose saved model has not changed costs one
// small round trip per CacheFor. Safe for concurrent use.
type SharedRecommendations struct {
	cfg   SharedRecommendationsConfig
	mu    sync.Mutex
	cache map[string]*savedSnapshot
}

type savedSnapshot struct {
	id      string // the saved model's version: log id and save time
	at      int64
	snap    *recommend.Snapshot // nil: no model saved
	checked time.Time
}

// NewSharedRecommendations returns a reader for cfg.
func NewSharedRecommendations(cfg SharedRecommendationsConfig) (*SharedRecommendations, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.CacheFor = cmpOr(cfg.CacheFor, DefaultModelCacheFor)
	cfg.MaxTenants = cmpOr(cfg.MaxTenants, DefaultModelCacheTenants)
	return &SharedRecommendations{cfg: cfg, cache: map[string]*savedSnapshot{}}, nil
}

// Lookup returns tenant's latest saved model as a snapshot, nil when no
// model is saved, or the error of reading it.
func (r *SharedRecommendations) Lookup(tenant string) (*recommend.Snapshot, error) {
	now := r.cfg.Now()
	r.mu.Lock()
	c := r.cache[tenant]
	if c != nil && now.Sub(c.checked) < r.cfg.CacheFor {
		r.mu.Unlock()
		return c.snap, nil
	}
	var haveID string
	var haveAt int64
	if c != nil {
		haveID, haveAt = c.id, c.at
	}
	r.mu.Unlock()

	id, at, b, err := r.cfg.Models.LoadModel(tenant, haveID, haveAt)
	if err != nil {
		return nil, fmt.Errorf("recommendation model of tenant %s: %w", tenant, err)
	}
	next := &savedSnapshot{id: id, at: at, checked: now}
	switch {
	case id == "":
	case b == nil && c != nil: // unchanged
		next.snap = c.snap
	default:
		m, err := recommend.New(r.cfg.Recommend)
		if err != nil {
			return nil, err
		}
		if err := m.LoadTenant(tenant, b); err != nil {
			return nil, err
		}
		next.snap = m.Snapshot(tenant, time.Unix(0, at).UTC())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.cache[tenant]; !ok && len(r.cache) >= r.cfg.MaxTenants {
		var oldest string
		for t, s := range r.cache {
			if oldest == "" || s.checked.Before(r.cache[oldest].checked) {
				oldest = t
			}
		}
		delete(r.cache, oldest)
	}
	r.cache[tenant] = next
	return next.snap, nil
}
