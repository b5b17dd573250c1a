package windows

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// rssBytes reads the process's resident set size (Linux; 0 elsewhere).
func rssBytes() uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkMemory100kTenants is the resident state of one process holding
// 100,000 active tenants with the default windows (1m, 5m, 1h, day): an
// hour of traffic where every tenant orders in every other minute (30
// events a tenant: created and completed, 20 repeat customers), Advance
// every simulated minute, so each tenant holds its closed 1m and 5m panes
// (kept for corrections), its open hour and day, and its event ids.
//
// Reported: heap after GC per tenant and per live pane (open or kept for
// corrections), the total heap, and the process RSS (everything: runtime,
// test binary, the benchmark's own few MiB).
func BenchmarkMemory100kTenants(b *testing.B) {
	const tenants, minutes = 100_000, 60
	ids := make([]string, tenants)
	for i := range ids {
		ids[i] = "tenant-" + strconv.Itoa(i)
	}
	customers := make([]string, 20)
	for i := range customers {
		customers[i] = "cus-" + strconv.Itoa(i)
	}
	items := []events.Item{{SKU: "SKU-1", Quantity: 2, UnitPrice: 1999}}
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		e := mustEngine(b, Config{})
		var o events.Order
		var idBuf []byte
		n := 0
		for m := range minutes {
			now := t0.Add(time.Duration(m+1) * time.Minute)
			for t := range tenants {
				if (t+m)%2 != 0 {
					continue
				}
				idBuf = strconv.AppendInt(append(idBuf[:0], "ev-"...), int64(n), 10)
				n++
				typ := events.OrderCreated
				if m%4 >= 2 {
					typ = events.OrderCompleted
				}
				o = events.Order{EventID: string(idBuf), Type: typ, TenantID: ids[t], OrderID: string(idBuf),
					CustomerID: customers[(t*7+m)%len(customers)], Status: "pending", Amount: 3998, Currency: "USD",
					OccurredAt: t0.Add(time.Duration(m)*time.Minute + time.Duration(t%60)*time.Second), Items: items}
				if _, err := e.Apply(&o, now); err != nil {
					b.Fatal(err)
				}
			}
			if err := e.Advance(now, func(Closed) {}); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		st := e.Stats()
		heap := float64(after.HeapAlloc - before.HeapAlloc)
		b.ReportMetric(heap/tenants, "B/tenant")
		b.ReportMetric(heap/float64(st.LivePanes), "B/live-pane")
		b.ReportMetric(float64(st.LivePanes)/tenants, "panes/tenant")
		b.ReportMetric(heap/(1<<20), "MiB-heap")
		b.ReportMetric(float64(rssBytes())/(1<<20), "MiB-rss")
		runtime.KeepAlive(e)
	}
}

// BenchmarkBytesPerTenantWindowWorst is the documented worst case of one
// tenant-window: 300 distinct customers in each of two currencies, so each
// currency's customer set is a 2 KiB sketch. 1,000 tenants, 4 open windows
// each. "B/tenant-window-state" leaves out the remembered event ids.
func BenchmarkBytesPerTenantWindowWorst(b *testing.B) {
	const tenants, perCurrency, windows = 1000, 300, 4
	currencies := []string{"USD", "EUR"}
	for b.Loop() {
		var before, after, state runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		e := mustEngine(b, Config{})
		var o events.Order
		for t := range tenants {
			tenant := "tenant-" + strconv.Itoa(t)
			for ci, cur := range currencies {
				for i := range perCurrency {
					id := strconv.Itoa(t) + "-" + cur + "-" + strconv.Itoa(i)
					o = events.Order{EventID: id, Type: events.OrderCreated, TenantID: tenant, OrderID: id,
						CustomerID: "c" + strconv.Itoa(i), Amount: 100, Currency: cur,
						OccurredAt: t0.Add(time.Duration(ci*perCurrency+i) * 50 * time.Millisecond)}
					if _, err := e.Apply(&o, o.OccurredAt); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		for _, mt := range e.store.(*MemStore).tenants {
			mt.ids = newIDSet(1)
		}
		runtime.GC()
		runtime.ReadMemStats(&state)
		if st := e.Stats(); st.OpenWindows != tenants*windows {
			b.Fatalf("open windows %d", st.OpenWindows)
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(tenants*windows), "B/tenant-window")
		b.ReportMetric(float64(state.HeapAlloc-before.HeapAlloc)/(tenants*windows), "B/tenant-window-state")
		runtime.KeepAlive(e)
	}
}
