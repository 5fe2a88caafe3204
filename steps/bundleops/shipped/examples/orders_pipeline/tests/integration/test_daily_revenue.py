"""Integration tests: run by bundleops.testrunner on Spark, against the mock tables of fixtures/.

The runner provides the fixtures `spark`, `catalog`, `schema` (the run's temporary schema, which
holds the mock tables) and `table_name` (mock table name -> its full three-part name).
"""

import datetime
from decimal import Decimal

from orders_pipeline.revenue import daily_revenue, run
from orders_pipeline.rules import Tables


def test_mock_tables_are_in_the_temporary_schema(catalog, schema, table_name):
    assert table_name("orders") == f"{catalog}.{schema}.orders"


def test_revenue_per_day_and_country(spark, table_name):
    result = daily_revenue(spark.table(table_name("orders")), spark.table(table_name("customers")))
    rows = {(r.order_date, r.country): (r.revenue, r.orders) for r in result.collect()}
    assert rows == {
        (datetime.date(2026, 11, 1), "DE"): (Decimal("69.98"), 2),
        (datetime.date(2026, 11, 1), "FR"): (Decimal("15.00"), 1),
        (datetime.date(2026, 11, 2), "DE"): (Decimal("5.50"), 1),
        (datetime.date(2026, 11, 2), "unknown"): (Decimal("12.00"), 1),
    }


def test_run_writes_the_daily_revenue_table(spark, catalog, schema):
    rows = run(spark, Tables(catalog, schema))
    assert rows == 4
    assert spark.table(f"{catalog}.{schema}.daily_revenue").count() == 4
