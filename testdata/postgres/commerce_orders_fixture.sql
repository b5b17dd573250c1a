-- A small hand-checkable fixture for commerce.orders (apply after
-- commerce_orders.sql). Tenant shop-a, 2026-03-02 (a Monday), UTC:
--   10:00-11:00  3 orders: 2 completed (19.99 + 5.005), 1 cancelled
--   11:00-12:00  2 orders: 1 refunded (40.00), 1 pending (7.50), one guest
-- Tenant shop-b has one completed order on 2026-03-01 23:30 UTC, which is
-- 2026-03-02 in Asia/Tokyo.
INSERT INTO commerce.orders (tenant_id, customer_id, status, total_amount, created_at) VALUES
    ('shop-a', 'c1', 'completed', 19.99,  '2026-03-02 10:05:00+00'),
    ('shop-a', 'c2', 'completed', 5.005,  '2026-03-02 10:30:00+00'),
    ('shop-a', 'c1', 'cancelled', 12.00,  '2026-03-02 10:59:59.999+00'),
    ('shop-a', 'c3', 'refunded',  40.00,  '2026-03-02 11:00:00+00'),
    ('shop-a', '',   'pending',   7.50,   '2026-03-02 11:45:00+00'),
    ('shop-b', 'c9', 'completed', 100.00, '2026-03-01 23:30:00+00');
