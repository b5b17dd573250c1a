package eventgen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/olympus-cloud/pulse/events"
)

// tenant is one simulated shop: its volume, currency, local time, catalogue
// and customers.
type tenant struct {
	id       string
	currency string
	digits   int
	perDay   float64 // average orders a day, before anomalies
	base     float64 // orders per nanosecond at seasonal factor 1
	tzOffset int64   // seconds east of UTC
	weekly   *[7]float64
	peak     float64 // base × the largest seasonal factor × the largest anomaly factor

	skus   []string
	prices []int64 // minor units, by SKU index
	items  *rand.Zipf

	customers []string
	buyers    *rand.Zipf

	anomalies []anomaly // sorted by start, not overlapping
	cursor    int       // first anomaly not over at the last arrival
	orders    uint64
}

// diurnal is the share of a day's orders by local hour, scaled to mean 1.
var diurnal = normalize([]float64{
	0.35, 0.2, 0.12, 0.08, 0.08, 0.12, 0.3, 0.55, 0.8, 1.0, 1.1, 1.2,
	1.3, 1.25, 1.2, 1.15, 1.15, 1.2, 1.35, 1.5, 1.6, 1.5, 1.1, 0.65,
})

// Weekly shapes, indexed by time.Weekday (Sunday first), scaled to mean 1.
var (
	consumerWeek = [7]float64(normalize([]float64{1.25, 0.9, 0.9, 0.95, 1.0, 1.1, 1.3}))
	businessWeek = [7]float64(normalize([]float64{0.5, 1.2, 1.2, 1.2, 1.15, 1.1, 0.55}))
)

func normalize(v []float64) []float64 {
	var sum float64
	for _, x := range v {
		sum += x
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = x * float64(len(v)) / sum
	}
	return out
}

// currencies tenants sell in, with a rough value per US dollar and the time
// zones (hours east of UTC) their shops live in.
var currencies = []struct {
	code   string
	share  float64
	perUSD float64
	zones  []int64
}{
	{"USD", 0.70, 1, []int64{-5, -6, -8}},
	{"EUR", 0.12, 0.92, []int64{1, 2}},
	{"GBP", 0.10, 0.79, []int64{0}},
	{"JPY", 0.08, 150, []int64{9}},
}

const nsPerDay = 24 * 3600 * 1e9

func newTenants(cfg *Config, r *rand.Rand) []*tenant {
	n := cfg.Tenants
	exp := 0.0
	if n > 1 {
		exp = math.Log(cfg.TopOrdersPerDay/cfg.TailOrdersPerDay) / math.Log(float64(n))
	}
	width := len(strconv.Itoa(n))
	if width < 3 {
		width = 3
	}
	ts := make([]*tenant, n)
	for i := range ts {
		t := &tenant{id: fmt.Sprintf("tenant-%0*d", width, i+1)}
		t.perDay = cfg.TopOrdersPerDay * math.Pow(float64(i+1), -exp)
		if i > 0 { // the largest stays the largest
			t.perDay *= 0.8 + 0.4*r.Float64()
		}
		t.base = t.perDay / nsPerDay
		c := currencies[0]
		if i > 0 {
			u := r.Float64()
			for _, cc := range currencies {
				if u < cc.share {
					c = cc
					break
				}
				u -= cc.share
			}
		}
		t.currency = c.code
		t.digits, _ = events.MinorDigits(c.code)
		t.tzOffset = c.zones[r.IntN(len(c.zones))] * 3600
		t.weekly = &consumerWeek
		if r.Float64() < 0.25 {
			t.weekly = &businessWeek
		}
		t.catalogue(r, c.perUSD)
		t.customerPool(r)
		ts[i] = t
	}
	return ts
}

// catalogue draws SKUs with log-normal prices around a shop-specific median,
// ending in .99 (or in tens for currencies without minor units).
func (t *tenant) catalogue(r *rand.Rand, perUSD float64) {
	size := 30 + r.IntN(300)
	median := math.Exp(3.2 + 0.5*r.NormFloat64()) // about $25
	scale := math.Pow10(t.digits)
	t.skus = make([]string, size)
	t.prices = make([]int64, size)
	for i := range size {
		t.skus[i] = "SKU-" + strconv.Itoa(100000+r.IntN(900000))
		usd := min(max(median*math.Exp(0.8*r.NormFloat64()), 1), 1000)
		major := usd * perUSD
		var minor int64
		if t.digits == 0 {
			minor = max(int64(math.Round(major/10))*10, 10)
		} else {
			minor = int64(math.Floor(major))*int64(scale) + int64(scale) - 1
		}
		t.prices[i] = minor
	}
	t.items = rand.NewZipf(r, 1.1, 3, uint64(size-1))
}

// customerPool sizes the pool so that the busiest customers come back often
// while most buy once or twice in a week.
func (t *tenant) customerPool(r *rand.Rand) {
	size := int(max(10, t.perDay*3))
	t.customers = make([]string, size)
	for i := range t.customers {
		t.customers[i] = "cus-" + strconv.Itoa(i+1)
	}
	t.buyers = rand.NewZipf(r, 1.2, 5, uint64(size-1))
}

// shape is the seasonal factor of the tenant at t (ns since epoch).
func (t *tenant) shape(at int64) float64 {
	local := at/1e9 + t.tzOffset
	day := floorDiv(local, 86400)
	sec := local - day*86400
	wd := (day + 4) % 7 // 1970-01-01 was a Thursday
	if wd < 0 {
		wd += 7
	}
	h := sec / 3600
	frac := float64(sec%3600) / 3600
	d := diurnal[h]*(1-frac) + diurnal[(h+1)%24]*frac
	return d * t.weekly[wd]
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// maxShape bounds shape from above, for thinning.
func (t *tenant) maxShape() float64 {
	return slices.Max(diurnal) * slices.Max(t.weekly[:])
}
