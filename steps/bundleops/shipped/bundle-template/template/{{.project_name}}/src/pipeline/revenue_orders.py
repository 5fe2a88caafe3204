"""Orders that count as revenue, from the raw orders (Lakeflow Declarative Pipelines; the
expectations are Databricks' own, which bundleops' local workspace enforces the same way)."""

from pyspark import pipelines as dp
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

# Order statuses that count as revenue (src/*/rules.py holds the same rule for the unit tests).
REVENUE_STATUSES = ["completed", "shipped"]


@dp.materialized_view(comment="Orders that count as revenue: completed or shipped, with a positive amount")
@dp.expect_or_drop("positive_amount", "amount > 0")
@dp.expect("known_customer", "customer_id IS NOT NULL")
def revenue_orders():
    orders = SparkSession.active().read.table("orders_raw")
    return orders.where(F.lower(F.trim(F.col("status"))).isin(REVENUE_STATUSES))
