-- One row per tenant, customer and currency with the analytics service's
-- segment rules, first match wins:
--   VIP_Active   spent over 1000 and last order within 30 days
--   High_Value   spent over 500 and last order within 60 days
--   At_Risk      no order for over 90 days
--   New_Customer exactly one order
--   Regular      everyone else
-- Spent is completed minus refunded amounts, in the currency's units. Days
-- are whole days since the customer's latest order event. Guests (no
-- customer id) have no segment.
WITH customers AS (
  SELECT
    tenant_id,
    customer_id,
    currency,
    COUNT(DISTINCT order_id) AS order_count,
    COALESCE(SUM(CASE event_type
      WHEN 'order.completed' THEN total_amount
      WHEN 'order.refunded' THEN 0 - total_amount  -- not unary minus: the emulator lacks it
    END), 0) AS total_spent,
    MAX(occurred_at) AS last_order_at
  FROM `{{.Project}}.{{.Dataset}}.orders_dedup`
  WHERE customer_id IS NOT NULL
  GROUP BY tenant_id, customer_id, currency
),
aged AS (
  SELECT
    *,
    TIMESTAMP_DIFF(CURRENT_TIMESTAMP(), last_order_at, DAY) AS days_since_last_order
  FROM customers
)
SELECT
  tenant_id,
  customer_id,
  currency,
  order_count,
  total_spent,
  last_order_at,
  days_since_last_order,
  CASE
    WHEN total_spent > 1000 AND days_since_last_order <= 30 THEN 'VIP_Active'
    WHEN total_spent > 500 AND days_since_last_order <= 60 THEN 'High_Value'
    WHEN days_since_last_order > 90 THEN 'At_Risk'
    WHEN order_count = 1 THEN 'New_Customer'
    ELSE 'Regular'
  END AS segment
FROM aged
