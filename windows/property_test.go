package windows

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

type wkey struct {
	tenant, size string
	start        int64
	currency     string
}

type bruteAgg struct {
	m         events.WindowMetrics
	customers map[string]bool
}

// bruteWindows lists the windows holding t, computed the slow obvious way.
func bruteWindows(specs []WindowSpec, loc *time.Location, t time.Time) []events.Window {
	var ws []events.Window
	for _, s := range specs {
		if s.Calendar {
			l := t.In(loc)
			start := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
			ws = append(ws, events.Window{Start: start.UTC(), End: start.AddDate(0, 0, 1).UTC(), Size: s.Label()})
			continue
		}
		slide := s.Slide
		if slide == 0 {
			slide = s.Size
		}
		// every multiple of slide in (t-size, t]
		first := t.Add(-s.Size).Truncate(slide)
		for st := first; !st.After(t); st = st.Add(slide) {
			if st.Add(s.Size).After(t) {
				ws = append(ws, events.Window{Start: st.UTC(), End: st.Add(s.Size).UTC(), Size: s.Label()})
			}
		}
	}
	return ws
}

type streamOpts struct {
	tenants, customers, n int
	dupRate, lateRate     float64
	idleRate              float64
	maxLate               time.Duration
}

func genStream(r *rand.Rand, o streamOpts) ([]*events.Order, []time.Time) {
	currencies := []string{"USD", "JPY", "EUR"}
	var out []*events.Order
	var nows []time.Time
	clock := t0
	now := t0
	for i := 0; len(out) < o.n; i++ {
		if len(out) > 0 && r.Float64() < o.dupRate {
			d := *out[r.IntN(len(out))]
			out = append(out, &d)
			nows = append(nows, now)
			continue
		}
		clock = clock.Add(time.Duration(r.IntN(20_000)) * time.Millisecond)
		at := clock.Add(-time.Duration(r.IntN(90)) * time.Second) // out of order within ~1.5m
		if r.Float64() < o.lateRate {
			at = clock.Add(-time.Duration(r.Int64N(int64(o.maxLate))))
		}
		now = clock.Add(time.Duration(r.IntN(5)) * time.Second)
		if r.Float64() < o.idleRate {
			now = now.Add(time.Duration(2+r.IntN(10)) * time.Minute)
			clock = now
		}
		tenant := fmt.Sprintf("t%d", r.IntN(o.tenants))
		typ := events.EventTypes[r.IntN(4)]
		cust := ""
		if r.IntN(5) > 0 {
			cust = fmt.Sprintf("c%d", r.IntN(o.customers))
		}
		var qty []int64
		for range r.IntN(4) {
			qty = append(qty, 1+r.Int64N(5))
		}
		ord := order(fmt.Sprintf("e%d", i), tenant, typ, at, r.Int64N(100_000), currencies[r.IntN(len(currencies))], cust, qty...)
		out = append(out, ord)
		nows = append(nows, now)
	}
	return out, nows
}

func TestPropertyMatchesBruteForce(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	specs := []WindowSpec{{Size: time.Minute}, {Size: 5 * time.Minute}, {Size: time.Hour},
		{Size: 10 * time.Minute, Slide: 2 * time.Minute}, {Size: 24 * time.Hour, Calendar: true}}
	for seed := range uint64(12) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			cfg := Config{Windows: specs, Zones: map[string]*time.Location{"t1": ny},
				CorrectionHorizon: 72 * time.Hour, AllowedLateness: time.Duration(r.IntN(3)) * time.Minute}
			stream, nows := genStream(r, streamOpts{tenants: 3, customers: 40, n: 1500,
				dupRate: 0.15, lateRate: 0.05, idleRate: 0.01, maxLate: 3 * time.Hour})
			checkAgainstBruteForce(t, cfg, stream, nows, r.IntN(2) == 0)
		})
	}
}

func checkAgainstBruteForce(t *testing.T, cfg Config, stream []*events.Order, nows []time.Time, batched bool) {
	t.Helper()
	e := mustEngine(t, cfg)
	var col collector
	want := map[wkey]*bruteAgg{}
	seen := map[string]bool{}
	lastRev := map[wkey]int{}
	emit := func(c Closed) {
		k := wkey{c.TenantID, c.Window.Size, c.Window.Start.UnixNano(), c.Metrics.Currency}
		if c.Revision <= lastRev[k] {
			t.Fatalf("%+v: revision %d after %d", k, c.Revision, lastRev[k])
		}
		if c.Reason == ReasonWatermark {
			wm, _, _ := e.Watermark(c.TenantID)
			if c.Window.End.After(wm.Add(-cfg.AllowedLateness)) {
				t.Fatalf("%+v closed by watermark %s before it passed the end %s", k, wm, c.Window.End)
			}
		}
		lastRev[k] = c.Revision
		col.emit(c)
	}
	loc := func(tenant string) *time.Location {
		if z := cfg.Zones[tenant]; z != nil {
			return z
		}
		return time.UTC
	}
	apply := func(i int, o *events.Order) {
		_, frontier, closedAny := e.Watermark(o.TenantID)
		first := !seen[o.EventID]
		seen[o.EventID] = true
		if !first {
			return
		}
		for _, w := range bruteWindows(cfg.Windows, loc(o.TenantID), o.OccurredAt) {
			k := wkey{o.TenantID, w.Size, w.Start.UnixNano(), o.Currency}
			a := want[k]
			if a == nil {
				a = &bruteAgg{m: events.WindowMetrics{Currency: o.Currency, UniqueCustomersExact: true}, customers: map[string]bool{}}
				want[k] = a
			}
			switch o.Type {
			case events.OrderCreated:
				a.m.Orders++
				a.m.ItemsSold += o.ItemCount()
				if o.CustomerID != "" {
					a.customers[o.CustomerID] = true
				}
			case events.OrderCompleted:
				a.m.CompletedOrders++
				a.m.CompletedRevenue += o.Amount
			case events.OrderCancelled:
				a.m.CancelledOrders++
			case events.OrderRefunded:
				a.m.RefundedOrders++
				a.m.RefundedAmount += o.Amount
			}
			if closedAny && !w.End.After(frontier) {
				a.m.LateEvents++
			}
		}
	}
	for i := 0; i < len(stream); {
		if batched {
			n := min(1+i%7, len(stream)-i)
			// one batch shares one processing time; brute force sees it in order
			for j := i; j < i+n; j++ {
				if j > i && stream[j].TenantID == stream[i].TenantID {
					n = j - i // keep the oracle's frontier reads exact: one event per tenant per batch
					break
				}
			}
			for j := i; j < i+n; j++ {
				apply(j, stream[j])
			}
			out := make([]ApplyResult, n)
			if err := e.ApplyBatch(stream[i:i+n], nows[i+n-1], out); err != nil {
				t.Fatal(err)
			}
			for j, res := range out {
				if res.Err != nil {
					t.Fatalf("event %d: %v", i+j, res.Err)
				}
			}
			i += n
		} else {
			apply(i, stream[i])
			res, err := e.Apply(stream[i], nows[i])
			if err != nil {
				t.Fatal(err)
			}
			if res.Dropped > 0 {
				t.Fatalf("event %d dropped with a 72h correction horizon", i)
			}
			i++
		}
		if i%5 == 0 {
			if err := e.Advance(nows[i-1], emit); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := e.Flush(emit); err != nil {
		t.Fatal(err)
	}
	final := map[wkey]Closed{}
	for _, c := range col.out {
		k := wkey{c.TenantID, c.Window.Size, c.Window.Start.UnixNano(), c.Metrics.Currency}
		if prev, ok := final[k]; !ok || c.Revision > prev.Revision {
			final[k] = c
		}
	}
	if len(final) != len(want) {
		t.Errorf("%d windows emitted, brute force has %d", len(final), len(want))
	}
	for k, a := range want {
		a.m.Revenue = a.m.CompletedRevenue - a.m.RefundedAmount
		a.m.UniqueCustomers = int64(len(a.customers))
		got, ok := final[k]
		if !ok {
			t.Errorf("%+v: not emitted; want %+v", k, a.m)
			continue
		}
		if got.Metrics != a.m {
			t.Errorf("%+v rev %d:\n got %+v\nwant %+v", k, got.Revision, got.Metrics, a.m)
		}
	}
	st := e.Stats()
	t.Logf("stats %+v, %d records, %d windows", st, len(col.out), len(final))
	if st.Events != int64(len(seen)) || st.Duplicates != int64(len(stream)-len(seen)) {
		t.Errorf("stats %+v: want %d events, %d duplicates", st, len(seen), len(stream)-len(seen))
	}
}
