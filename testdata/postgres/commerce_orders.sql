-- commerce.orders: the order table of the original commerce platform, the
-- history Pulse's warm start reads (sinks/postgres WarmStart). Only the
-- columns Pulse reads are listed; the real table has more, which is fine.
-- Amounts carry no currency: Pulse reads them in the tenant's configured
-- currency (tenant_settings.currency, USD by default).
CREATE SCHEMA IF NOT EXISTS commerce;

CREATE TABLE IF NOT EXISTS commerce.orders (
    order_id     bigserial PRIMARY KEY,
    tenant_id    text NOT NULL,
    customer_id  text,                 -- NULL or '' for guest checkout
    status       text NOT NULL,        -- pending, completed, cancelled, refunded, ...
    total_amount numeric(14, 4) NOT NULL,
    created_at   timestamptz NOT NULL
);

-- The warm start reads one tenant's recent orders by creation time.
CREATE INDEX IF NOT EXISTS orders_tenant_created ON commerce.orders (tenant_id, created_at);
