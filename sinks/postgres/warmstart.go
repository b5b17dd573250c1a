package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/olympus-cloud/pulse/events"
)

// WarmConfig says where the commerce system's order history is and how to
// read it. The zero value is the original platform's commerce.orders.
type WarmConfig struct {
	// OrdersTable is the (schema-qualified) order table; default
	// "commerce.orders". Columns: tenant_id, customer_id, status,
	// total_amount numeric, created_at timestamptz.
	OrdersTable string
	// Lookback is how far before now history is read, per window size
	// label; default 35 days for sizes under a day (five weeks: the weekly
	// seasonal model needs two, the detector's history holds 64 points),
	// 120 days for "1d".
	Lookback map[string]time.Duration
	// CompletedStatuses, CancelledStatuses and RefundedStatuses map the
	// table's status to the live pipeline's outcomes. Defaults: completed;
	// cancelled, canceled; refunded. A refunded order was completed first,
	// so it counts as completed and refunded (net revenue 0), as its two
	// events would live. Other statuses (pending, processing) count only as
	// created orders.
	CompletedStatuses, CancelledStatuses, RefundedStatuses []string
}

func (c WarmConfig) withDefaults() WarmConfig {
	if c.OrdersTable == "" {
		c.OrdersTable = "commerce.orders"
	}
	if c.CompletedStatuses == nil {
		c.CompletedStatuses = []string{"completed"}
	}
	if c.CancelledStatuses == nil {
		c.CancelledStatuses = []string{"cancelled", "canceled"}
	}
	if c.RefundedStatuses == nil {
		c.RefundedStatuses = []string{"refunded"}
	}
	return c
}

func (c WarmConfig) lookback(size string) time.Duration {
	if d, ok := c.Lookback[size]; ok {
		return d
	}
	if size == "1d" {
		return 120 * 24 * time.Hour
	}
	return 35 * 24 * time.Hour
}

// PastWindow is one closed window rebuilt from the order history: what the
// live pipeline would have closed, had it seen those orders.
type PastWindow struct {
	Window  events.Window
	Metrics events.WindowMetrics
}

// WarmStart rebuilds a tenant's closed windows of each size from the order
// history, oldest first per size, ending before the window that contains
// now (that one is still open live). Only windows with orders are returned,
// as the live engine only closes those. Figures are exact: amounts are
// rounded to minor units of currency per order in numeric, then summed.
// zone places calendar days ("1d"); nil means UTC. Sizes are window labels:
// "1d" (calendar day) or a duration ("1h", "5m"); hopping sizes are refused.
//
// The history is an approximation of the live figures in one way: the
// table keeps only an order's current status and its creation time, so a
// completion, cancellation or refund counts in the window the order was
// created in, not the one it happened in.
func (s *Store) WarmStart(ctx context.Context, cfg WarmConfig, tenant, currency string, zone *time.Location, sizes []string, now time.Time) (map[string][]PastWindow, error) {
	cfg = cfg.withDefaults()
	digits, ok := events.MinorDigits(currency)
	if !ok {
		return nil, fmt.Errorf("warm start %s: unknown currency %q", tenant, currency)
	}
	if zone == nil {
		zone = time.UTC
	}
	table := pgx.Identifier(strings.Split(cfg.OrdersTable, ".")).Sanitize()
	scale := int64(1)
	for range digits {
		scale *= 10
	}
	out := map[string][]PastWindow{}
	for _, size := range sizes {
		var bucket string
		var step time.Duration
		var end time.Time
		if size == "1d" {
			bucket = "date_trunc('day', created_at, $8)"
			y, m, d := now.In(zone).Date()
			end = time.Date(y, m, d, 0, 0, 0, 0, zone)
		} else {
			var err error
			if step, err = time.ParseDuration(size); err != nil || step < time.Second || step%time.Second != 0 || step > 24*time.Hour {
				return nil, fmt.Errorf("warm start %s: window size %q: want 1d or whole seconds up to 24h", tenant, size)
			}
			bucket = "date_bin($8::bigint * interval '1 second', created_at, timestamptz '1970-01-01 00:00:00+00')"
			end = now.Truncate(step)
		}
		start := end.Add(-cfg.lookback(size))
		arg := any(zone.String())
		if size != "1d" {
			arg = int64(step / time.Second)
		}
		q := `SELECT ` + bucket + ` AS start,
			count(*),
			count(*) FILTER (WHERE status::text = ANY($4) OR status::text = ANY($6)),
			count(*) FILTER (WHERE status::text = ANY($5)),
			count(*) FILTER (WHERE status::text = ANY($6)),
			coalesce(sum(round(total_amount * $7::numeric)) FILTER (WHERE status::text = ANY($4) OR status::text = ANY($6)), 0)::bigint,
			coalesce(sum(round(total_amount * $7::numeric)) FILTER (WHERE status::text = ANY($6)), 0)::bigint,
			count(DISTINCT customer_id::text) FILTER (WHERE customer_id IS NOT NULL AND customer_id::text <> '')
		FROM ` + table + `
		WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3
		GROUP BY 1 ORDER BY 1`
		rows, err := s.pool.Query(ctx, q, tenant, start, end, cfg.CompletedStatuses, cfg.CancelledStatuses,
			cfg.RefundedStatuses, scale, arg)
		if err != nil {
			return nil, fmt.Errorf("warm start %s %s: %w", tenant, size, err)
		}
		ws, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PastWindow, error) {
			var w PastWindow
			m := &w.Metrics
			err := r.Scan(&w.Window.Start, &m.Orders, &m.CompletedOrders, &m.CancelledOrders, &m.RefundedOrders,
				&m.CompletedRevenue, &m.RefundedAmount, &m.UniqueCustomers)
			m.Currency, m.UniqueCustomersExact = currency, true
			m.Revenue = m.CompletedRevenue - m.RefundedAmount
			w.Window.Start = w.Window.Start.UTC()
			w.Window.Size = size
			if size == "1d" {
				y, mo, d := w.Window.Start.In(zone).Date()
				w.Window.End = time.Date(y, mo, d+1, 0, 0, 0, 0, zone).UTC()
			} else {
				w.Window.End = w.Window.Start.Add(step)
			}
			return w, err
		})
		if err != nil {
			return nil, fmt.Errorf("warm start %s %s: %w", tenant, size, err)
		}
		out[size] = ws
	}
	return out, nil
}

// HistoryTenants lists the tenants with orders in the table since since:
// the tenants a warm start has something to seed.
func (s *Store) HistoryTenants(ctx context.Context, cfg WarmConfig, since time.Time) ([]string, error) {
	cfg = cfg.withDefaults()
	table := pgx.Identifier(strings.Split(cfg.OrdersTable, ".")).Sanitize()
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT tenant_id::text FROM `+table+` WHERE created_at >= $1 ORDER BY 1`, since)
	if err != nil {
		return nil, fmt.Errorf("history tenants: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("history tenants: %w", err)
	}
	return ids, nil
}
