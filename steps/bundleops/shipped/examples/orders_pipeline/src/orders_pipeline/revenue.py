"""The transformation: completed orders -> revenue and order count per day and country."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from .rules import REVENUE_STATUSES, Tables


def daily_revenue(orders: DataFrame, customers: DataFrame) -> DataFrame:
    """Revenue per order date and customer country; orders of unknown customers count as 'unknown'."""
    counted = orders.where(F.lower(F.trim(F.col("status"))).isin(sorted(REVENUE_STATUSES)))
    return (
        counted.join(customers.select("customer_id", "country"), on="customer_id", how="left")
        .groupBy(F.to_date("order_ts").alias("order_date"), F.coalesce(F.col("country"), F.lit("unknown")).alias("country"))
        .agg(F.sum("amount").alias("revenue"), F.countDistinct("order_id").alias("orders"))
    )


def run(spark: SparkSession, tables: Tables) -> int:
    """Rebuild the daily_revenue table from orders and customers; returns its row count."""
    result = daily_revenue(spark.table(tables.orders), spark.table(tables.customers))
    result.write.mode("overwrite").saveAsTable(tables.daily_revenue)
    return spark.table(tables.daily_revenue).count()
