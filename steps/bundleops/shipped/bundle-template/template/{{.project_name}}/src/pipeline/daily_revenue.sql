-- Revenue and order count per day and customer country; orders of unknown customers count as 'unknown'.
CREATE MATERIALIZED VIEW daily_revenue (
  CONSTRAINT non_negative_revenue EXPECT (revenue >= 0) ON VIOLATION FAIL UPDATE,
  CONSTRAINT known_country EXPECT (country <> 'unknown')
)
COMMENT 'Revenue and order count per day and customer country'
AS SELECT
  to_date(o.order_ts) AS order_date,
  coalesce(c.country, 'unknown') AS country,
  CAST(sum(o.amount) AS DECIMAL(20, 2)) AS revenue,
  count(DISTINCT o.order_id) AS orders
FROM revenue_orders o
LEFT JOIN customers_raw c ON o.customer_id = c.customer_id
GROUP BY to_date(o.order_ts), coalesce(c.country, 'unknown');
