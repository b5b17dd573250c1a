package processors

import (
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/olympus-cloud/pulse/events"
)

// BenchmarkAdvanceTick is one shard tick (Advance with nothing to close)
// over 10,000 active tenants: without metrics, with WindowMetrics copying
// the engine counters, and with the watermark lag observed per tenant too.
func BenchmarkAdvanceTick(b *testing.B) {
	for _, metrics := range []string{"off", "counters", "counters+lag"} {
		b.Run("metrics="+metrics, func(b *testing.B) {
			cfg := WindowStateConfig{}
			cfg.Windows.IdleTimeout = time.Hour
			if metrics != "off" {
				cfg.Metrics = NewWindowMetrics()
			}
			if metrics == "counters+lag" {
				cfg.Windows.WatermarkLag = cfg.Metrics.Lag
			}
			s, err := NewWindowState(cfg, func(events.Insight) {}, NewStats(), zerolog.Nop())
			if err != nil {
				b.Fatal(err)
			}
			now := time.Date(2026, 6, 1, 10, 0, 30, 0, time.UTC)
			for i := range 10_000 {
				o := &events.Order{EventID: "e" + strconv.Itoa(i), Type: events.OrderCreated, TenantID: "t" + strconv.Itoa(i),
					OrderID: "o", Amount: 100, Currency: "USD", OccurredAt: now.Add(-10 * time.Second)}
				if err := s.Apply(o, now); err != nil {
					b.Fatal(err)
				}
			}
			if err := s.Advance(now); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := s.Advance(now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
