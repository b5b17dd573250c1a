package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/olympus-cloud/pulse/processors/recommend"
)

// Recommendations is where the API reads the bought-together model: the
// latest snapshot of a tenant's model, or nil when there is none, or why
// it cannot be read. The pipeline's recommend.Registry implements it (one
// replica), processors.SharedRecommendations in distributed mode (any
// replica reads the model its tenant's lease holder saved); reading must
// not wait for the shards that own the models.
type Recommendations interface {
	Lookup(tenant string) (*recommend.Snapshot, error)
}

// RecommendationsResponse is /recommendations' answer: the items bought
// with the SKU (best lift first) or, when support is too thin, a cold-start
// code and reason with no items. Counts are decayed to At (the request's
// time); SnapshotAt is when the model was last read, so orders applied
// after it are not in the counts yet.
type RecommendationsResponse struct {
	recommend.Result
	SnapshotAt *time.Time `json:"snapshot_at,omitempty"`
}

// maxSKULen matches the order decoder's limit on a SKU.
const maxSKULen = 256

// defaultRecommendations is the default of limit.
const defaultRecommendations = 10

func (s *Server) recommendations(w http.ResponseWriter, r *http.Request, _ *principal, tenant string) {
	q := r.URL.Query()
	sku := q.Get("sku")
	if sku == "" || len(sku) > maxSKULen || !printable(sku) {
		badParam(w, "sku", "give the SKU to recommend for: printable text of 1 to 256 bytes")
		return
	}
	snap, err := s.cfg.Recommendations.Lookup(tenant)
	if err != nil {
		s.cfg.Log.Warn().Err(err).Str("tenant_id", tenant).Msg("api: recommendations")
		writeError(w, http.StatusServiceUnavailable, "unavailable", "recommendations cannot be read right now; retry shortly", "")
		return
	}
	maxLimit := recommend.DefaultMaxLimit
	if snap != nil {
		maxLimit = snap.MaxLimit()
	}
	limit := defaultRecommendations
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			badParam(w, "limit", "must be an integer from 1 to "+strconv.Itoa(maxLimit))
			return
		}
		limit = n
	}
	now := s.cfg.Now()
	if snap == nil {
		// Known from its windows, but no completed basket yet.
		writeJSON(w, http.StatusOK, RecommendationsResponse{Result: recommend.Result{
			Tenant: tenant, SKU: sku, At: now, ColdStart: recommend.ColdTenant,
			Reason: "tenant " + tenant + " has no completed baskets yet", Items: []recommend.Recommendation{},
		}})
		return
	}
	res, err := snap.RecommendAt(sku, limit, now)
	if err != nil { // the parameters were checked: this is a bug
		s.cfg.Log.Error().Err(err).Str("tenant_id", tenant).Msg("api: recommendations")
		writeError(w, http.StatusInternalServerError, "internal", "recommendations are unavailable", "")
		return
	}
	at := snap.At()
	writeJSON(w, http.StatusOK, RecommendationsResponse{Result: res, SnapshotAt: &at})
}

// knownForRecommendations is a tenant with windows or with a model.
func (s *Server) knownForRecommendations(tenant string) bool {
	if s.history.Known(tenant) {
		return true
	}
	snap, err := s.cfg.Recommendations.Lookup(tenant)
	return snap != nil || err != nil // an error is reported by the handler
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}
