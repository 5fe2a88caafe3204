"""Phase 1: create the fixture files' mock tables in the run's temporary schema.

Rows go in as SQL `VALUES` cast to the declared types, so loading runs entirely in Spark (no
Python worker processes, which cost seconds on a 2-core runner) and behaves the same on local
Spark and in a Databricks workspace. Large tables are inserted in chunks to keep statements small.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from bundleops.errors import BundleopsError, ExitCode
from bundleops.testrunner.fixtures import MockTable
from bundleops.testrunner.sql import column_list, qualified, typed_select

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ROWS_PER_STATEMENT = 500


def create_tables(spark: "SparkSession", catalog: str, schema: str, tables: Sequence[MockTable]) -> dict[str, str]:
    """Create every mock table; returns table name -> full three-part name."""
    created: dict[str, str] = {}
    for table in tables:
        full_name = qualified(catalog, schema, table.name)
        try:
            _create(spark, full_name, table)
        except Exception as exc:  # noqa: BLE001 - Spark raises many types; the message names the table
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise BundleopsError(
                f"mock data {table.source}: Spark could not create {catalog}.{schema}.{table.name}: {first_line}",
                fix="check the column types and that every value casts to its column's type",
                code=ExitCode.CHECK_FAILED,
            ) from exc
        created[table.name] = f"{catalog}.{schema}.{table.name}"
    return created


def _create(spark: "SparkSession", full_name: str, table: MockTable) -> None:
    rows = list(table.rows)
    if not rows:
        spark.sql(f"CREATE TABLE {full_name} ({column_list(table.columns)})")
        return
    spark.sql(f"CREATE TABLE {full_name} AS {typed_select(table.columns, rows[:ROWS_PER_STATEMENT])}")
    for start in range(ROWS_PER_STATEMENT, len(rows), ROWS_PER_STATEMENT):
        spark.sql(f"INSERT INTO {full_name} {typed_select(table.columns, rows[start:start + ROWS_PER_STATEMENT])}")
