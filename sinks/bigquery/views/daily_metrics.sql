-- Daily figures per tenant and currency from the deduplicated orders, as the
-- analytics service reported them: order count (order.created events),
-- completed revenue, average order value (completed revenue / completed
-- orders, rounded half away from zero to the currency's minor digits, 0 with
-- no completed order) and unique customers (distinct customers who created
-- an order; guests excluded). Days are UTC.
--
-- The average is rounded in integer minor units (DIV of INT64s), not with
-- ROUND on NUMERIC: exact in BigQuery and in the emulator alike, where
-- ROUND(NUMERIC) goes through a float and can round 2257.095 down.
WITH daily AS (
  SELECT
    tenant_id,
    DATE(occurred_at) AS day,
    currency,
    COUNTIF(event_type = 'order.created') AS orders,
    COUNTIF(event_type = 'order.completed') AS completed_orders,
    COUNTIF(event_type = 'order.cancelled') AS cancelled_orders,
    COUNTIF(event_type = 'order.refunded') AS refunded_orders,
    COALESCE(SUM(IF(event_type = 'order.completed', total_amount, NULL)), 0) AS completed_revenue,
    COALESCE(SUM(IF(event_type = 'order.refunded', total_amount, NULL)), 0) AS refunded_amount,
    COUNT(DISTINCT IF(event_type = 'order.created', customer_id, NULL)) AS unique_customers,
    CASE{{range .Digits}}
      WHEN currency IN ({{.Codes}}) THEN {{.Scale}}{{end}}
      ELSE 100
    END AS minor_scale
  FROM `{{.Project}}.{{.Dataset}}.orders_dedup`
  GROUP BY tenant_id, day, currency
)
SELECT
  tenant_id,
  day,
  currency,
  orders,
  completed_orders,
  cancelled_orders,
  refunded_orders,
  completed_revenue,
  refunded_amount,
  completed_revenue - refunded_amount AS revenue,
  IF(completed_orders = 0, 0,
    CAST(DIV(2 * CAST(completed_revenue * minor_scale AS INT64) + completed_orders, 2 * completed_orders) AS NUMERIC) / minor_scale
  ) AS average_order_value,
  unique_customers
FROM daily
