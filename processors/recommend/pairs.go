package recommend

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"time"
)

// PairRow is one SKU pair of one tenant at one instant, for the BigQuery
// table recommendation_pairs (schema:
// sinks/bigquery/schema/recommendation_pairs.json). A pair appears
// once, SKUA < SKUB; confidence is given both ways. Counts are decayed to
// ComputedAt and guaranteed (lowered by the sketch's error); PairCountError
// is what was subtracted.
type PairRow struct {
	TenantID       string    `json:"tenant_id" bigquery:"tenant_id"`
	ComputedAt     time.Time `json:"computed_at" bigquery:"computed_at"`
	SKUA           string    `json:"sku_a" bigquery:"sku_a"`
	SKUB           string    `json:"sku_b" bigquery:"sku_b"`
	PairCount      float64   `json:"pair_count" bigquery:"pair_count"`
	PairCountError float64   `json:"pair_count_error" bigquery:"pair_count_error"`
	CountA         float64   `json:"count_a" bigquery:"count_a"`
	CountB         float64   `json:"count_b" bigquery:"count_b"`
	Baskets        float64   `json:"baskets" bigquery:"baskets"`
	Support        float64   `json:"support" bigquery:"support"`
	ConfidenceAB   float64   `json:"confidence_a_b" bigquery:"confidence_a_b"`
	ConfidenceBA   float64   `json:"confidence_b_a" bigquery:"confidence_b_a"`
	Lift           float64   `json:"lift" bigquery:"lift"`
	HalfLifeHours  float64   `json:"half_life_hours" bigquery:"half_life_hours"` // 0: no decay
}

// InsertID is the row's BigQuery dedup key: tenant, instant and pair, so a
// re-export of the same snapshot does not duplicate rows.
func (r *PairRow) InsertID() string {
	h := sha256.New()
	var b []byte
	b = append(b, r.TenantID...)
	b = append(b, 0)
	b = strconv.AppendInt(b, r.ComputedAt.UnixNano(), 10)
	b = append(b, 0)
	b = append(b, r.SKUA...)
	b = append(b, 0)
	b = append(b, r.SKUB...)
	h.Write(b)
	return "pair_" + hex.EncodeToString(h.Sum(nil)[:16])
}

// Pairs returns every scorable pair of tenant (both items tracked,
// guaranteed count at least MinPairCount) decayed to now, strongest lift
// first. At most PairCapacity rows.
func (m *Model) Pairs(tenant string, now time.Time) []PairRow {
	t := m.tenants[tenant]
	if t == nil {
		return nil
	}
	f := t.clock.factor(now)
	n := t.baskets * f
	if n <= 0 {
		return nil
	}
	var hl float64
	if m.cfg.HalfLife > 0 {
		hl = m.cfg.HalfLife.Hours()
	}
	var rows []PairRow
	t.eachPair(f, m.cfg.MinPairCount, func(p pairStat) {
		ea, eb := p.ea, p.eb
		if eb.val < ea.val {
			ea, eb = eb, ea
		}
		na, nb := ea.count*f, eb.count*f
		rows = append(rows, PairRow{
			TenantID: tenant, ComputedAt: now.UTC(), SKUA: ea.val, SKUB: eb.val,
			PairCount: p.count, PairCountError: p.e.err * f, CountA: na, CountB: nb, Baskets: n,
			Support: p.count / n, ConfidenceAB: p.count / na, ConfidenceBA: p.count / nb,
			Lift: p.count * n / (na * nb), HalfLifeHours: hl,
		})
	})
	slices.SortFunc(rows, func(x, y PairRow) int {
		if c := cmp.Compare(y.Lift, x.Lift); c != 0 {
			return c
		}
		if c := cmp.Compare(y.PairCount, x.PairCount); c != 0 {
			return c
		}
		if c := cmp.Compare(x.SKUA, y.SKUA); c != 0 {
			return c
		}
		return cmp.Compare(x.SKUB, y.SKUB)
	})
	return rows
}
