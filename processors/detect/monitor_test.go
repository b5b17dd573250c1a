package detect

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
)

func metricsAt(i int, orders int64, aov int64) events.WindowMetrics {
	cancelled := int64(i % 2)
	return events.WindowMetrics{
		Currency: "USD", Orders: orders, CompletedOrders: orders - cancelled, CancelledOrders: cancelled,
		CompletedRevenue: (orders - cancelled) * aov, Revenue: (orders - cancelled) * aov,
		UniqueCustomers: orders - 1, UniqueCustomersExact: true,
	}
}

// runMonitor feeds a tenant 72 normal hours then 3 hours of collapse.
func runMonitor(t *testing.T, m *Monitor, tenant string) []events.Insight {
	t.Helper()
	var out []events.Insight
	for i := range 75 {
		orders := int64(40 + (i*7)%9)
		if i >= 72 {
			orders = 5
		}
		w := win(i)
		out = append(out, m.Observe(tenant, w, metricsAt(i, orders, 2500+int64(i%5)*10), w.End.Add(time.Second))...)
	}
	return out
}

func TestMonitorCollapse(t *testing.T) {
	m, err := NewMonitor(MonitorConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ins := runMonitor(t, m, "shop-1")
	opened := map[string]events.Insight{}
	for _, in := range ins {
		if in.Kind == events.KindAnomalyOpened {
			opened[in.Metric] = in
		}
	}
	for _, metric := range []string{MetricRevenue, MetricOrders, MetricUniqueCustomers} {
		in, ok := opened[metric]
		if !ok {
			t.Errorf("no %s incident on an order collapse; got %d insights", metric, len(ins))
			continue
		}
		if in.Score >= 0 || !strings.Contains(in.Message, "below") || in.TenantID != "shop-1" || in.Currency != "USD" {
			t.Errorf("%s: %+v", metric, in)
		}
	}
	if in, ok := opened[MetricRevenue]; ok && !strings.Contains(in.Message, "$") {
		t.Errorf("revenue message without money: %q", in.Message)
	}
	// Same input, same insights and ids: a replay is a duplicate.
	m2, _ := NewMonitor(MonitorConfig{})
	if again := runMonitor(t, m2, "shop-1"); !reflect.DeepEqual(ins, again) {
		t.Error("replay produced different insights")
	}
}

func TestMonitorCapEvicts(t *testing.T) {
	m, err := NewMonitor(MonitorConfig{MaxSeries: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"a", "b", "c", "a"} {
		m.Observe(tenant, win(0), metricsAt(0, 10, 1000), hour(1))
	}
	if m.Len() != 2 || m.Evicted() != 2 {
		t.Errorf("len %d evicted %d, want 2 and 2", m.Len(), m.Evicted())
	}
	if _, err := NewMonitor(MonitorConfig{MaxSeries: -1, PerMetric: map[string]Config{MetricOrders: {Threshold: -1}}}); err == nil {
		t.Error("invalid monitor config accepted")
	}
}
