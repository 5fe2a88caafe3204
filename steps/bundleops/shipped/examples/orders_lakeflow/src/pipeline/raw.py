"""The pipeline's inputs: raw orders and customers (Lakeflow Declarative Pipelines).

Sample rows stand in for the source here; replace these two datasets with your ingestion, e.g. a
streaming table reading the files landed in a volume with Auto Loader. `pyspark.pipelines` is
Apache Spark's Declarative Pipelines module: the same code runs on Databricks and, through
bundleops' local workspace, on local Spark.
"""

import datetime
from decimal import Decimal

from pyspark import pipelines as dp
from pyspark.sql import SparkSession

ORDERS = [
    (1, "c1", datetime.datetime(2026, 11, 1, 9, 15), Decimal("49.99"), "completed"),
    (2, "c1", datetime.datetime(2026, 11, 1, 17, 40), Decimal("19.99"), "shipped"),
    (3, "c2", datetime.datetime(2026, 11, 1, 11, 0), Decimal("15.00"), "Completed"),
    (4, "c2", datetime.datetime(2026, 11, 1, 12, 0), Decimal("99.00"), "cancelled"),
    (5, "c3", datetime.datetime(2026, 11, 2, 8, 5), Decimal("5.50"), "completed"),
    (6, "c9", datetime.datetime(2026, 11, 2, 10, 30), Decimal("12.00"), "completed"),
    (7, "c3", datetime.datetime(2026, 11, 2, 23, 59, 59), Decimal("7.25"), "refunded"),
    (8, "c1", datetime.datetime(2026, 11, 2, 12, 0), Decimal("0.00"), "completed"),
]
CUSTOMERS = [("c1", "Ada", "DE"), ("c2", "Blaise", "FR"), ("c3", "Carl", "DE")]


@dp.materialized_view(comment="Raw orders, as the source delivers them")
def orders_raw():
    columns = "order_id BIGINT, customer_id STRING, order_ts TIMESTAMP, amount DECIMAL(10,2), status STRING"
    return SparkSession.active().createDataFrame(ORDERS, columns)


@dp.materialized_view(comment="Raw customers, as the source delivers them")
def customers_raw():
    return SparkSession.active().createDataFrame(CUSTOMERS, "customer_id STRING, name STRING, country STRING")
