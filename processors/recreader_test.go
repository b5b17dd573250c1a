package processors

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/recommend"
)

// savedModels is a ModelLoader in memory that counts what it is asked.
type savedModels struct {
	byTenant map[string]savedModel
	loads    int
	sent     int // models sent (not "unchanged")
	err      error
}

type savedModel struct {
	id    string
	at    int64
	model []byte
}

func (s *savedModels) LoadModel(tenant, haveID string, haveAt int64) (string, int64, []byte, error) {
	s.loads++
	if s.err != nil {
		return "", 0, nil, s.err
	}
	m, ok := s.byTenant[tenant]
	if !ok {
		return "", 0, nil, nil
	}
	if m.id == haveID && m.at == haveAt {
		return m.id, m.at, nil, nil
	}
	s.sent++
	return m.id, m.at, m.model, nil
}

// SharedRecommendations serves a saved model as the holder's snapshot at
// the save, checks again only after CacheFor, fetches the model again only
// when a new one was saved, keeps at most MaxTenants, and reports errors.
func TestSharedRecommendationsCache(t *testing.T) {
	cfg := recommend.Config{HalfLife: -1, MinBaskets: 1, MinItemCount: 1, MinPairCount: 1}
	holder, err := recommend.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	buy := func(tenant string, n int, skus ...string) {
		o := &events.Order{TenantID: tenant, OrderID: fmt.Sprint(tenant, n), Type: events.OrderCompleted, OccurredAt: t0}
		for _, s := range skus {
			o.Items = append(o.Items, events.Item{SKU: s})
		}
		holder.Observe(o)
	}
	saved := &savedModels{byTenant: map[string]savedModel{}}
	save := func(tenant, id string, at time.Time) {
		b, err := holder.AppendTenant(nil, tenant)
		if err != nil {
			t.Fatal(err)
		}
		saved.byTenant[tenant] = savedModel{id, at.UnixNano(), b}
	}
	buy("a", 1, "X", "Y")
	buy("a", 2, "X", "Z")
	for i := range 4 { // baskets without X: its partners beat chance
		buy("a", 10+i, "F", "G")
	}
	buy("b", 1, "X", "Y")
	buy("b", 2, "F")
	save("a", "1-0", t0)
	save("b", "1-0", t0)

	now := t0
	r, err := NewSharedRecommendations(SharedRecommendationsConfig{Models: saved, Recommend: cfg, CacheFor: 5 * time.Second, MaxTenants: 2,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	items := func(tenant, sku string) int {
		t.Helper()
		s, err := r.Lookup(tenant)
		if err != nil || s == nil {
			t.Fatalf("lookup %s: %v %v", tenant, s, err)
		}
		res, err := s.Recommend(sku, 10)
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Items)
	}
	if n := items("a", "X"); n != 2 || saved.loads != 1 {
		t.Fatalf("a: %d partners of X, %d loads", n, saved.loads)
	}
	if s, _ := r.Lookup("a"); !s.At().Equal(t0) || saved.loads != 1 {
		t.Fatalf("cached lookup: at %s, %d loads; want the save's instant and no load", s.At(), saved.loads)
	}
	now = now.Add(6 * time.Second)
	items("a", "X")
	if saved.loads != 2 || saved.sent != 1 {
		t.Fatalf("after CacheFor: %d loads, %d models sent; want a check that sends nothing", saved.loads, saved.sent)
	}
	buy("a", 3, "X", "W")
	save("a", "2-0", t0.Add(10*time.Second))
	now = now.Add(6 * time.Second)
	if n := items("a", "X"); n != 3 || saved.sent != 2 {
		t.Fatalf("a new save: %d partners, %d models sent", n, saved.sent)
	}
	// No model saved: nil, cached like the rest.
	if s, err := r.Lookup("nobody"); s != nil || err != nil {
		t.Fatalf("tenant without a model: %v %v", s, err)
	}
	items("b", "X") // a third tenant: the one checked longest ago goes
	if len(r.cache) != 2 {
		t.Fatalf("%d tenants cached, limit 2", len(r.cache))
	}
	now = now.Add(time.Minute)
	saved.err = errors.New("redis: connection refused")
	if _, err := r.Lookup("a"); err == nil {
		t.Fatal("a failed read is not reported")
	}
}
