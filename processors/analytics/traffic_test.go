package analytics

import (
	"sync"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/events/eventgen"
)

// traffic is generated order traffic, kept for all tests of the package
// (generating six weeks takes seconds under -race).
type traffic struct {
	start   time.Time
	tenants []string
	orders  []*events.Order // valid, first deliveries, in publish order
	labels  []eventgen.Label
}

const trafficWeeks = 6

var (
	trafficOnce sync.Once
	trafficData *traffic
	trafficErr  error
)

func generated(t *testing.T) *traffic {
	t.Helper()
	trafficOnce.Do(func() {
		g, err := eventgen.New(eventgen.Config{
			Seed: 42, Tenants: 4, Duration: trafficWeeks * 7 * 24 * time.Hour,
			TopOrdersPerDay: 3000, TailOrdersPerDay: 400,
			MalformedShare: -1, DuplicateShare: -1, OutOfOrderShare: -1, LateShare: -1,
		})
		if err != nil {
			trafficErr = err
			return
		}
		tr := &traffic{start: g.Start(), tenants: g.Tenants(), labels: g.Labels()}
		for {
			m, ok := g.Next()
			if !ok {
				break
			}
			if m.Order != nil && !m.Duplicate {
				tr.orders = append(tr.orders, m.Order)
			}
		}
		trafficData = tr
	})
	if trafficErr != nil {
		t.Fatal(trafficErr)
	}
	return trafficData
}

// series are a tenant's metrics by period from the start of the traffic:
// revenue (completed minus refunded, minor units) and created orders.
type series2 struct {
	revenue, orders []float64
}

// bucket aggregates the traffic's orders per tenant into periods of size.
func (tr *traffic) bucket(size time.Duration) map[string]*series2 {
	n := int(time.Duration(trafficWeeks*7*24*time.Hour) / size)
	out := map[string]*series2{}
	for _, id := range tr.tenants {
		out[id] = &series2{revenue: make([]float64, n), orders: make([]float64, n)}
	}
	for _, o := range tr.orders {
		i := int(o.OccurredAt.Sub(tr.start) / size)
		if i < 0 || i >= n {
			continue
		}
		s := out[o.TenantID]
		switch o.Type {
		case events.OrderCreated:
			s.orders[i]++
		case events.OrderCompleted:
			s.revenue[i] += float64(o.Amount)
		case events.OrderRefunded:
			s.revenue[i] -= float64(o.Amount)
		}
	}
	return out
}
