package eventgen

import (
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

// TestShape checks the realism the detectors and windows are tested with,
// over a default week.
func TestShape(t *testing.T) {
	g, msgs := drain(t, Config{Seed: 11})
	byTenant := map[string]int{}
	var valid, dups, malformed int
	created := map[string]*events.Order{} // tenant/order -> created event
	firstSeen := map[string]bool{}        // event ids
	type slot struct{ business, weekend bool }
	perSlot := map[slot]int{}
	var night, evening int // created orders at local 02-05h and 18-21h
	tz := map[string]*tenant{}
	for _, tn := range g.tenants {
		tz[tn.id] = tn
	}
	for _, m := range msgs {
		switch {
		case m.Duplicate:
			dups++
			if !firstSeen[m.Order.EventID] {
				t.Fatalf("duplicate of event %s published before the original", m.Order.EventID)
			}
			continue
		case m.Expect != "":
			malformed++
			continue
		}
		valid++
		o := m.Order
		firstSeen[o.EventID] = true
		key := o.TenantID + "/" + o.OrderID
		switch o.Type {
		case events.OrderCreated:
			byTenant[o.TenantID]++
			created[key] = o
			tn := tz[o.TenantID]
			local := o.OccurredAt.Add(time.Duration(tn.tzOffset) * time.Second)
			wd := local.Weekday()
			perSlot[slot{tn.weekly == &businessWeek, wd == time.Saturday || wd == time.Sunday}]++
			if h := local.Hour(); h >= 2 && h < 5 {
				night++
			} else if h >= 18 && h < 21 {
				evening++
			}
		case events.OrderRefunded:
			if c, ok := created[key]; ok && o.Amount > c.Amount {
				t.Errorf("order %s refunded %d, more than its total %d", key, o.Amount, c.Amount)
			}
		case events.OrderCompleted, events.OrderCancelled:
			if c, ok := created[key]; ok {
				if d := o.OccurredAt.Sub(c.OccurredAt); d < time.Minute || d > 6*time.Hour+2*time.Minute {
					t.Errorf("order %s: %s %s after creation", key, o.Type, d)
				}
				if o.Amount != c.Amount || o.CustomerID != c.CustomerID {
					t.Errorf("order %s: %s disagrees with its creation", key, o.Type)
				}
			}
		}
	}
	t.Logf("%d messages: %d valid, %d duplicates, %d malformed", len(msgs), valid, dups, malformed)

	ids := g.Tenants()
	top, bottom := byTenant[ids[0]], byTenant[ids[len(ids)-1]]
	if top < 7*1000 || bottom > 7*50 || top < 100*max(bottom, 1) {
		t.Errorf("volume not heavy-tailed: largest tenant %d orders, smallest %d", top, bottom)
	}
	if share := float64(dups) / float64(valid); share < 0.015 || share > 0.025 {
		t.Errorf("duplicate share %.4f, want about 0.02", share)
	}
	if share := float64(malformed) / float64(valid+malformed); share < 0.007 || share > 0.013 {
		t.Errorf("malformed share %.4f, want about 0.01", share)
	}
	// Three local hours of night against three of evening peak.
	if night*3 > evening {
		t.Errorf("no daily shape: %d orders at night, %d in the evening", night, evening)
	}
	// Per day: 2 weekend days, 5 weekdays in a week.
	rate := func(s slot, days float64) float64 { return float64(perSlot[s]) / days }
	if c := (slot{false, true}); rate(c, 2) < 1.15*rate(slot{false, false}, 5) {
		t.Errorf("consumer tenants not busier at weekends: %v", perSlot)
	}
	if perSlot[slot{true, false}] > 0 && rate(slot{true, true}, 2) > 0.7*rate(slot{true, false}, 5) {
		t.Errorf("business tenants not quieter at weekends: %v", perSlot)
	}
}

// TestAnomaliesShowInTheTraffic compares each labelled window with the
// tenant's own expected volume there.
func TestAnomaliesShowInTheTraffic(t *testing.T) {
	g, msgs := drain(t, Config{Seed: 5, AnomalyRate: 3, MalformedShare: -1, DuplicateShare: -1})
	labels := g.Labels()
	if len(labels) == 0 {
		t.Fatal("no anomalies at three per tenant-week")
	}
	warm := g.Start().Add(24 * time.Hour)
	for _, l := range labels {
		if l.Start.Before(warm) || l.End.After(g.End()) || !l.Start.Before(l.End) {
			t.Errorf("label %+v outside [%s, %s)", l, warm, g.End())
		}
	}
	tenants := map[string]*tenant{}
	for _, tn := range g.tenants {
		tenants[tn.id] = tn
	}
	checked := 0
	for _, l := range labels {
		tn := tenants[l.Tenant]
		var expected float64
		for at := l.Start; at.Before(l.End); at = at.Add(time.Minute) {
			expected += tn.base * tn.shape(at.UnixNano()) * float64(time.Minute)
		}
		var orders int
		var value, normalValue, normalOrders int64
		for _, m := range msgs {
			if m.Order == nil || m.Duplicate || m.Order.TenantID != l.Tenant || m.Order.Type != events.OrderCreated {
				continue
			}
			if at := m.Order.OccurredAt; !at.Before(l.Start) && at.Before(l.End) {
				orders++
				value += m.Order.Amount
			} else {
				normalOrders++
				normalValue += m.Order.Amount
			}
		}
		if expected < 30 {
			continue
		}
		checked++
		ratio := float64(orders) / expected
		switch l.Kind {
		case KindRevenueSpike:
			if ratio < 2.5 {
				t.Errorf("%s %s: %d orders against %.0f expected", l.Tenant, l.Kind, orders, expected)
			}
		case KindOrderDrop:
			if ratio > 0.2 {
				t.Errorf("%s %s: %d orders against %.0f expected", l.Tenant, l.Kind, orders, expected)
			}
		case KindAOVShift:
			aov := float64(value) / float64(max(orders, 1))
			normal := float64(normalValue) / float64(max(normalOrders, 1))
			if aov < 1.6*normal {
				t.Errorf("%s %s: average value %.0f against %.0f outside", l.Tenant, l.Kind, aov, normal)
			}
		}
	}
	if checked == 0 {
		t.Error("no anomaly on a tenant busy enough to check")
	}
}

func TestPacer(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	sim := t0.Add(-24 * time.Hour)
	tests := []struct {
		name   string
		p      Pacer
		at     []time.Duration // simulated publish times after sim
		now    []time.Duration // real clock after t0 at each call
		delays []time.Duration
	}{
		{"zero value never waits", Pacer{}, []time.Duration{0, time.Hour, 2 * time.Hour}, []time.Duration{0, 0, 0}, []time.Duration{0, 0, 0}},
		{"speed 60 runs an hour a minute", Pacer{Speed: 60}, []time.Duration{0, time.Hour, 2 * time.Hour}, []time.Duration{0, 10 * time.Second, 3 * time.Minute},
			[]time.Duration{0, 50 * time.Second, 0}},
		{"rate 10 spaces by 100ms", Pacer{Rate: 10}, []time.Duration{0, 0, 0}, []time.Duration{0, 0, 150 * time.Millisecond},
			[]time.Duration{0, 100 * time.Millisecond, 50 * time.Millisecond}},
		{"live backfills then waits for the clock", Pacer{Live: true}, []time.Duration{0, 23 * time.Hour, 24*time.Hour + time.Minute},
			[]time.Duration{0, time.Second, 2 * time.Second}, []time.Duration{0, 0, time.Minute - 2*time.Second}},
		{"live with speed: the slower wins", Pacer{Live: true, Speed: 3600}, []time.Duration{0, 2 * time.Hour, 24*time.Hour + time.Hour},
			[]time.Duration{0, 0, 30 * time.Second}, []time.Duration{0, 2 * time.Second, time.Hour - 30*time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			for i := range tt.at {
				if got := p.Delay(sim.Add(tt.at[i]), t0.Add(tt.now[i])); got != tt.delays[i] {
					t.Errorf("call %d: delay %s, want %s", i, got, tt.delays[i])
				}
			}
		})
	}
}
