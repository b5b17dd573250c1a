package rediscustomers

import (
	"fmt"
	"testing"
	"time"

	"github.com/olympus-cloud/pulse/events"
	"github.com/olympus-cloud/pulse/processors/analytics/customertest"
)

// BenchmarkApply is the cost per order of the customer script, at batch
// sizes of one (ObserveOrder) and of a cross-message batch.
func BenchmarkApply(b *testing.B) {
	for _, size := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			e := newEngine(b, open(b, Config{}))
			batch := make([]*events.Order, size)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				for k := range batch {
					batch[k] = order("shop", fmt.Sprintf("e%d", i), fmt.Sprintf("c%d", i%5000), 1234, customertest.T0.Add(time.Duration(i)*time.Second))
					i++
				}
				if _, err := e.ObserveOrders(batch, customertest.T0); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/order")
		})
	}
}
