"""Entry point of orders_pipeline_job (spark_python_task): rebuild daily_revenue for one catalog and schema."""

import argparse

from pyspark.sql import SparkSession

from orders_pipeline.revenue import run
from orders_pipeline.rules import Tables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--catalog", required=True)
    parser.add_argument("--schema", required=True)
    args = parser.parse_args()
    rows = run(SparkSession.builder.getOrCreate(), Tables(args.catalog, args.schema))
    print(f"daily_revenue rebuilt: {rows} rows")


if __name__ == "__main__":
    main()
