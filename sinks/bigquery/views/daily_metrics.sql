-- Daily figures per tenant and currency from the deduplicated orders, as the
-- analytics service reported them: order count (order.created events),
-- completed revenue, average order value (completed revenue / completed
-- orders, rounded half away from zero to the currency's minor digits, 0 with
-- no completed order) and unique customers (distinct customers who created
-- an order; guests excluded). Days are UTC.
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
    COUNT(DISTINCT IF(event_type = 'order.created', customer_id, NULL)) AS unique_customers
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
  COALESCE(
    CASE{{range .Digits}}
      WHEN currency IN ({{.Codes}}) THEN ROUND(SAFE_DIVIDE(completed_revenue, completed_orders), {{.Digits}}){{end}}
      ELSE ROUND(SAFE_DIVIDE(completed_revenue, completed_orders), 2)
    END,
    0) AS average_order_value,
  unique_customers
FROM daily
