package recommend

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// plantedShop is a deterministic shop with a skewed catalogue and planted
// bundles: items that are bought together far more often than chance.
type plantedShop struct {
	r       *rand.Rand
	skus    []string
	pop     *rand.Zipf
	bundles [][]int
	share   float64 // baskets built around a bundle
}

func newPlantedShop(seed uint64, catalogue, bundles int, share float64) *plantedShop {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	s := &plantedShop{r: r, pop: rand.NewZipf(r, 1.1, 2, uint64(catalogue-1)), share: share}
	for i := range catalogue {
		s.skus = append(s.skus, "SKU-"+strconv.Itoa(i))
	}
	for range bundles {
		b := make([]int, 2+r.IntN(2))
		for j := range b {
			b[j] = r.IntN(catalogue) // bundles use niche and popular items alike
		}
		s.bundles = append(s.bundles, b)
	}
	return s
}

// basket returns the distinct SKU indices of one basket, in random order.
func (s *plantedShop) basket() []int {
	var b []int
	if s.r.Float64() < s.share {
		bundle := s.bundles[s.r.IntN(len(s.bundles))]
		b = append(b, bundle...)
		if len(bundle) > 2 && s.r.IntN(3) == 0 { // sometimes only part of it
			b = b[:len(b)-1]
		}
		for range s.r.IntN(3) {
			b = append(b, int(s.pop.Uint64()))
		}
	} else {
		for range 1 + s.r.IntN(4) {
			b = append(b, int(s.pop.Uint64()))
		}
	}
	s.r.Shuffle(len(b), func(i, j int) { b[i], b[j] = b[j], b[i] })
	out := b[:0]
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

type hitRates struct{ at5, at10 float64 }

// TestHoldoutBeatsPopularity trains on planted traffic, then for each test
// basket hides its last item and ranks candidates from the other items:
// the model by the best lift any context item gives a candidate (falling
// back to popularity when it has fewer than k), the baseline by training
// popularity alone. The model must beat the baseline at 5 and at 10.
func TestHoldoutBeatsPopularity(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"defaults", Config{}},
		// Summaries far smaller than the 2,000 SKUs and ~50,000 distinct
		// pairs seen: the planted pairs are heavy hitters and survive.
		{"tight memory", Config{ItemCapacity: 500, PairCapacity: 1000, RefundMemory: 100}},
	} {
		t.Run(c.name, func(t *testing.T) { holdout(t, c.cfg) })
	}
}

func holdout(t *testing.T, cfg Config) {
	shop := newPlantedShop(42, 2000, 150, 0.5)
	m := newModel(t, cfg)
	const train, test = 40_000, 4_000
	popularity := map[string]int{}
	at := t0
	for i := range train {
		at = at.Add(30 * time.Second)
		var skus []string
		for _, x := range shop.basket() {
			skus = append(skus, shop.skus[x])
			popularity[shop.skus[x]]++
		}
		m.Observe(order("shop", "o"+strconv.Itoa(i), events.OrderCompleted, at, skus...))
	}
	byPop := make([]string, 0, len(popularity))
	for s := range popularity {
		byPop = append(byPop, s)
	}
	slices.SortFunc(byPop, func(a, b string) int {
		return cmp.Or(cmp.Compare(popularity[b], popularity[a]), cmp.Compare(a, b))
	})

	snap := m.Snapshot("shop", at)
	var model, base hitRates
	evaluated := 0
	for evaluated < test {
		b := shop.basket()
		if len(b) < 2 {
			continue
		}
		evaluated++
		ctx, held := b[:len(b)-1], shop.skus[b[len(b)-1]]
		inCtx := map[string]bool{}
		for _, x := range ctx {
			inCtx[shop.skus[x]] = true
		}
		score := map[string]float64{}
		for sku := range inCtx {
			r, err := snap.Recommend(sku, 20)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range r.Items {
				if !inCtx[it.SKU] {
					score[it.SKU] = max(score[it.SKU], it.Lift)
				}
			}
		}
		ranked := make([]string, 0, len(score)+10)
		for s := range score {
			ranked = append(ranked, s)
		}
		slices.SortFunc(ranked, func(a, b string) int {
			return cmp.Or(cmp.Compare(score[b], score[a]), cmp.Compare(a, b))
		})
		var popular []string
		for _, s := range byPop {
			if len(popular) == 10 {
				break
			}
			if !inCtx[s] {
				popular = append(popular, s)
			}
		}
		for _, s := range popular {
			if len(ranked) >= 10 {
				break
			}
			if !slices.Contains(ranked, s) {
				ranked = append(ranked, s)
			}
		}
		hit := func(list []string, k int) float64 {
			if slices.Contains(list[:min(k, len(list))], held) {
				return 1
			}
			return 0
		}
		model.at5 += hit(ranked, 5)
		model.at10 += hit(ranked, 10)
		base.at5 += hit(popular, 5)
		base.at10 += hit(popular, 10)
	}
	n := float64(evaluated)
	model.at5, model.at10, base.at5, base.at10 = model.at5/n, model.at10/n, base.at5/n, base.at10/n
	t.Logf("%d held-out baskets, %d distinct pairs tracked of capacity %d: hit@5 %.3f (popularity %.3f), hit@10 %.3f (popularity %.3f)",
		evaluated, m.tenants["shop"].pairs.len(), m.cfg.PairCapacity, model.at5, base.at5, model.at10, base.at10)
	if !(model.at5 > base.at5+0.05) || !(model.at10 > base.at10+0.05) {
		t.Errorf("model does not beat popularity by 5 points: hit@5 %.3f vs %.3f, hit@10 %.3f vs %.3f",
			model.at5, base.at5, model.at10, base.at10)
	}
}
