"""Each output check on real local Spark: it passes on good data and fails on bad data, naming the rows.

One shared session (conftest.local_spark) and one schema of three tiny tables for the whole module.
"""

from __future__ import annotations

import secrets

import pytest

from bundleops.testrunner import checks, schemas
from bundleops.testrunner.checks_file import parse_table

pytestmark = pytest.mark.spark

COLUMNS = "order_id BIGINT, customer_id STRING, amount {amount}, status STRING, order_ts TIMESTAMP"
GOOD = """VALUES (1, 'c1', 10.00, 'completed', current_timestamp()),
                  (2, 'c2', 20.00, 'shipped', current_timestamp()),
                  (3, 'c1', 5.00, 'completed', current_timestamp() - INTERVAL 1 HOUR)"""
BAD = """VALUES (1, 'c1', -5.0, 'lost', TIMESTAMP'2020-01-01 00:00:00', 'x'),
                 (1, 'c9', 20.0, NULL, TIMESTAMP'2020-01-02 00:00:00', 'x'),
                 (NULL, 'c2', 3.0, 'shipped', TIMESTAMP'2020-01-03 00:00:00', 'x'),
                 (1, 'c1', 1.0, 'completed', TIMESTAMP'2020-01-04 00:00:00', 'x')"""
DECLARED = {name: {} for name in ("order_id", "customer_id", "amount", "status", "order_ts")}

# (check spec for a table, what the failure on `bad_orders` shows)
CASES = {
    "not_null": ({"columns": {"order_id": {"not_null": True}}}, ["1 of 4 rows fail", "order_id=NULL, customer_id='c2'"]),
    "unique": ({"columns": {"order_id": {"unique": True}}}, ["1 of 1 distinct values of (order_id) fail", "order_id=1, rows with this key=3"]),
    "unique key": ({"unique": ["order_id", "customer_id"]}, ["1 of 2 distinct values", "order_id=1, customer_id='c1', rows with this key=2"]),
    "accepted_values": ({"columns": {"status": {"accepted_values": ["completed", "shipped"]}}}, ["1 of 4 rows fail", "status='lost'"]),
    "accepted_range": ({"columns": {"amount": {"accepted_range": {"min": 0, "max": 100}}}}, ["1 of 4 rows fail", "amount=-5.0"]),
    "relationships": ({"columns": {"customer_id": {"relationships": {"to": "customers"}}}}, ["1 of 4 rows fail", "customer_id='c9'"]),
    "freshness": ({"columns": {"order_ts": {"freshness": {"max_age": "24h"}}}}, ["the newest is 2020-01-04 00:00:00", "order_ts=2020-01-04 00:00:00"]),
    "type": ({"columns": {"amount": {"type": "decimal(10, 2)"}}}, ["expected amount of type decimal(10,2): it is double"]),
    "row_count": ({"row_count": {"min": 1, "max": 3}}, ["expected a row count between 1 and 3: 4 rows"]),
    "row_count_ratio": ({"row_count_ratio": {"to": "customers", "max": 1.5}}, ["rows in {table} / rows in customers at most 1.5: 4 / 2 = 2"]),
    "only_declared_columns": ({"only_declared_columns": True, "columns": DECLARED}, ["expected only the declared columns; not declared (test): note"]),
}


@pytest.fixture(scope="module")
def tables(local_spark):
    """good `orders` and `bad_orders` (DOUBLE amount, an extra column), `customers` c1, c2, and `numbers` 0 to 11."""
    schema = f"checks_{secrets.token_hex(3)}"
    local_spark.sql(f"CREATE SCHEMA spark_catalog.{schema}")
    local_spark.sql(f"CREATE TABLE spark_catalog.{schema}.orders ({COLUMNS.format(amount='DECIMAL(10,2)')})")
    local_spark.sql(f"INSERT INTO spark_catalog.{schema}.orders {GOOD}")
    local_spark.sql(f"CREATE TABLE spark_catalog.{schema}.bad_orders ({COLUMNS.format(amount='DOUBLE')}, note STRING)")
    local_spark.sql(f"INSERT INTO spark_catalog.{schema}.bad_orders {BAD}")
    local_spark.sql(f"CREATE TABLE spark_catalog.{schema}.customers AS SELECT * FROM VALUES ('c1'), ('c2') AS c(customer_id)")
    local_spark.sql(f"CREATE TABLE spark_catalog.{schema}.numbers AS SELECT id FROM range(12)")
    yield checks.resolver("spark_catalog", schema)
    schemas.drop(local_spark, "spark_catalog", schema)


def _outcomes(spark, resolve, table, spec):
    return [checks.run(spark, check, resolve) for check in parse_table("test", 0, table, spec)]


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_check_passes_on_good_data_and_fails_on_bad_naming_the_rows(local_spark, tables, kind):
    spec, shown = CASES[kind]
    good = _outcomes(local_spark, tables, "orders", spec)
    assert all(o.passed for o in good), [o.message for o in good]
    assert all(o.message.startswith("checked ") for o in good)

    (bad,) = [o for o in _outcomes(local_spark, tables, "bad_orders", spec) if not o.passed]
    for text in shown:
        assert text.format(table="bad_orders") in bad.message


def test_a_sample_holds_at_most_five_rows(local_spark, tables):
    (outcome,) = _outcomes(local_spark, tables, "numbers", {"columns": {"id": {"accepted_values": [0]}}})
    assert outcome.message.startswith("11 of 12 rows fail: expected id in (0) or NULL\nsample (5 of 11):\n  id=")
    assert len(outcome.message.splitlines()) == 2 + 5


def test_a_missing_table_or_a_bad_type_fails_the_check_with_the_reason(local_spark, tables):
    (missing,) = _outcomes(local_spark, tables, "no_such_table", {"row_count": {"min": 1}})
    assert not missing.passed
    assert "could not run the check declared at test" in missing.message and "TABLE_OR_VIEW_NOT_FOUND" in missing.message
    (typo,) = _outcomes(local_spark, tables, "orders", {"columns": {"amount": {"type": "DECIMAL(10,2"}}})
    assert not typo.passed and "is not a Spark SQL type" in typo.message
