"""Entry point of the job's load_raw task (spark_python_task): the raw tables the pipeline reads.

Replace the sample rows with your ingestion (files in a volume, a source system's extract); the
pipeline only needs `orders_raw` and `customers_raw` in its schema before its update runs.
"""

import argparse
import datetime
from decimal import Decimal

from pyspark.sql import SparkSession

ORDERS = (
    "order_id BIGINT, customer_id STRING, order_ts TIMESTAMP, amount DECIMAL(10,2), status STRING",
    [
        (1, "c1", datetime.datetime(2026, 11, 1, 9, 15), Decimal("49.99"), "completed"),
        (2, "c1", datetime.datetime(2026, 11, 1, 17, 40), Decimal("19.99"), "shipped"),
        (3, "c2", datetime.datetime(2026, 11, 1, 11, 0), Decimal("15.00"), "Completed"),
        (4, "c2", datetime.datetime(2026, 11, 1, 12, 0), Decimal("99.00"), "cancelled"),
        (5, "c3", datetime.datetime(2026, 11, 2, 8, 5), Decimal("5.50"), "completed"),
        (6, "c9", datetime.datetime(2026, 11, 2, 10, 30), Decimal("12.00"), "completed"),
        (7, "c3", datetime.datetime(2026, 11, 2, 23, 59, 59), Decimal("7.25"), "refunded"),
        (8, "c1", datetime.datetime(2026, 11, 2, 12, 0), Decimal("0.00"), "completed"),
    ],
)
CUSTOMERS = (
    "customer_id STRING, name STRING, country STRING",
    [("c1", "Ada", "DE"), ("c2", "Blaise", "FR"), ("c3", "Carl", "DE")],
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--schema", required=True)
    args = parser.parse_args()
    spark = SparkSession.builder.getOrCreate()
    for table, (columns, rows) in {"orders_raw": ORDERS, "customers_raw": CUSTOMERS}.items():
        spark.createDataFrame(rows, columns).write.mode("overwrite").saveAsTable(f"{args.catalog}.{args.schema}.{table}")
        print(f"{table}: {len(rows)} rows loaded into {args.catalog}.{args.schema}")


if __name__ == "__main__":
    main()
