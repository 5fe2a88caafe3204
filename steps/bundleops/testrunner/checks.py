"""Output checks on Spark: each check is one aggregate query; only a failing one reads a sample.

Everything is Spark SQL on the table (no Python UDFs, no collect of a table), so a check costs
the same on local Spark and on a Databricks cluster or serverless (Spark Connect) and never
pulls a large table to the driver: the passing path returns one row of counts, the failing path
adds one `LIMIT 5` query for the rows to show. Declarations come from checks_file.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Callable, Sequence

from bundleops.testrunner.checks_file import Check
from bundleops.testrunner.sql import ident, literal, qualified

if TYPE_CHECKING:
    from pyspark.sql import Row, SparkSession

SAMPLE_ROWS = 5
_VALUE_WIDTH = 60
Resolve = Callable[[str], str]  # a table as declared -> its quoted three-part SQL name


@dataclass(frozen=True)
class Outcome:
    passed: bool
    message: str  # passed: what was checked, on what; failed: the count, the expectation, a sample


@dataclass(frozen=True)
class _RowRule:
    """A check that some rows (or key values) break: `condition` picks them out of `relation`."""

    relation: str
    condition: str
    expectation: str  # what every row must satisfy, for the message
    noun: str = "rows"  # what the relation's rows are
    select: str = "*"  # the columns of a sample row


def resolver(catalog: str, schema: str) -> Resolve:
    """`name` is in the run's schema (mock tables and what the tests wrote), `schema.name` in the
    run's catalog, `catalog.schema.name` as written."""

    def resolve(table: str) -> str:
        parts = table.split(".")
        return qualified(*{1: [catalog, schema], 2: [catalog], 3: []}[len(parts)], *parts)

    return resolve


def run(spark: "SparkSession", check: Check, resolve: Resolve) -> Outcome:
    """Run one check. A Spark error (a missing table or column, a bad type) is a failed check
    whose message is Spark's first line and where the check is declared, not a traceback."""
    try:
        return _RUNNERS[check.kind](spark, check, resolve)
    except Exception as error:  # noqa: BLE001 - Spark raises many types; the message names the check
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return Outcome(False, f"could not run the check declared at {check.source}: {first_line}\n  fix: check the table and column names there, and that the tests wrote the table")


# ---- checks that count offending rows


def _not_null(check: Check, resolve: Resolve) -> _RowRule:
    column = check.columns[0]
    return _RowRule(resolve(check.table), f"{ident(column)} IS NULL", f"{column} is not NULL")


def _unique(check: Check, resolve: Resolve) -> _RowRule:
    """Key values that occur more than once; rows with a NULL in the key are not_null's business, as in dbt."""
    key = ", ".join(ident(c) for c in check.columns)
    present = " AND ".join(f"{ident(c)} IS NOT NULL" for c in check.columns)
    relation = f"(SELECT {key}, count(*) AS `rows with this key` FROM {resolve(check.table)} WHERE {present} GROUP BY {key}) AS keys"
    about = ", ".join(check.columns)
    return _RowRule(relation, "`rows with this key` > 1", f"each value of ({about}) on one row only", noun=f"distinct values of ({about})")


def _accepted_values(check: Check, resolve: Resolve) -> _RowRule:
    column = ident(check.columns[0])
    values = ", ".join(_value_sql(v) for v in check.options["values"])
    return _RowRule(resolve(check.table), f"{column} IS NOT NULL AND {column} NOT IN ({values})", f"{check.columns[0]} in ({values}) or NULL")


def _accepted_range(check: Check, resolve: Resolve) -> _RowRule:
    column = ident(check.columns[0])
    bounds = [(op, check.options[key]) for key, op in (("min", ">="), ("max", "<=")) if key in check.options]
    within = " AND ".join(f"{column} {op} {_value_sql(value)}" for op, value in bounds)
    expectation = " and ".join(f"{check.columns[0]} {op} {value}" for op, value in bounds)
    return _RowRule(resolve(check.table), f"{column} IS NOT NULL AND NOT ({within})", f"{expectation}, or NULL")


def _relationships(check: Check, resolve: Resolve) -> _RowRule:
    column, field = check.columns[0], check.options["field"] or check.columns[0]
    parent = f"(SELECT DISTINCT {ident(field)} AS `parent key` FROM {resolve(check.options['to'])}) AS parent"
    relation = f"{resolve(check.table)} AS child LEFT JOIN {parent} ON child.{ident(column)} = parent.`parent key`"
    condition = f"child.{ident(column)} IS NOT NULL AND parent.`parent key` IS NULL"
    return _RowRule(relation, condition, f"{column} found in {check.options['to']}.{field}, or NULL", select="child.*")


def _count_rows(rule: Callable[[Check, Resolve], _RowRule]) -> Callable[["SparkSession", Check, Resolve], Outcome]:
    """One aggregate query (total, offending); a sample of the offending rows only when there are any."""

    def check_rows(spark: "SparkSession", check: Check, resolve: Resolve) -> Outcome:
        r = rule(check, resolve)
        counts = spark.sql(f"SELECT count(*) AS total, count_if({r.condition}) AS failing FROM {r.relation}").first()
        if not counts.failing:
            return Outcome(True, f"checked {r.expectation}: all {counts.total} {r.noun} pass")
        sample = spark.sql(f"SELECT {r.select} FROM {r.relation} WHERE {r.condition} LIMIT {SAMPLE_ROWS}").collect()
        return Outcome(False, f"{counts.failing} of {counts.total} {r.noun} fail: expected {r.expectation}\n{_sample(sample, counts.failing)}")

    return check_rows


# ---- checks on the table as a whole


def _row_count(spark: "SparkSession", check: Check, resolve: Resolve) -> Outcome:
    total = spark.sql(f"SELECT count(*) AS total FROM {resolve(check.table)}").first().total
    passed = _within(total, check.options)
    return Outcome(passed, f"{'checked' if passed else 'expected'} a row count {_between(check.options)}: {total} rows")


def _row_count_ratio(spark: "SparkSession", check: Check, resolve: Resolve) -> Outcome:
    source = check.options["to"]
    counts = spark.sql(f"SELECT (SELECT count(*) FROM {resolve(check.table)}) AS here, (SELECT count(*) FROM {resolve(source)}) AS there").first()
    expected = f"rows in {check.table} / rows in {source} {_between(check.options)}"
    if counts.there == 0:
        return Outcome(False, f"expected {expected}: {source} has no rows, so the ratio is undefined ({counts.here} rows in {check.table})")
    ratio = counts.here / counts.there
    passed = _within(ratio, check.options)
    return Outcome(passed, f"{'checked' if passed else 'expected'} {expected}: {counts.here} / {counts.there} = {ratio:.3g}")


def _freshness(spark: "SparkSession", check: Check, resolve: Resolve) -> Outcome:
    """The newest value against the session's clock, both in Spark, and shown as Spark prints it
    in the session time zone (a collected timestamp would be in the Python process's zone)."""
    column, max_age = ident(check.columns[0]), check.options["max_age"]
    table = resolve(check.table)
    newest = spark.sql(f"SELECT string(max({column})) AS newest, timestampdiff(SECOND, max({column}), current_timestamp()) AS age, count(*) AS total FROM {table}").first()
    expectation = f"the newest {check.columns[0]} at most {max_age} old"
    if newest.age is not None and newest.age <= check.options["seconds"]:
        return Outcome(True, f"checked {expectation}: {newest.newest} ({_duration(newest.age)} old) among {newest.total} rows")
    found = "it has no value" if newest.newest is None else f"the newest is {newest.newest}, {_duration(newest.age)} old"
    sample = spark.sql(f"SELECT * FROM {table} ORDER BY {column} DESC NULLS LAST LIMIT {SAMPLE_ROWS}").collect()
    return Outcome(False, f"expected {expectation}: {found} ({newest.total} rows)\n{_sample(sample, newest.total, 'newest first')}")


def _type(spark: "SparkSession", check: Check, resolve: Resolve) -> Outcome:
    """Types compared as Spark names them, so `INT` and `INTEGER`, `decimal(10, 2)` and `DECIMAL(10,2)` agree."""
    column, declared = check.columns[0], check.options["type"]
    actual = _column_types(spark, resolve(check.table))
    try:
        wanted = spark.sql(f"SELECT CAST(NULL AS {declared}) AS c").schema[0].dataType.simpleString()
    except Exception as error:  # noqa: BLE001 - Spark's parse error, shown as the check's failure
        first_line = (str(error).strip().splitlines() or [""])[0]
        return Outcome(False, f"{declared!r} (declared at {check.source}) is not a Spark SQL type: {first_line}\n  fix: e.g. STRING, BIGINT, DECIMAL(10,2), TIMESTAMP")
    if column.lower() not in actual:
        return Outcome(False, f"expected a column {column} of type {wanted}: there is none; the table has {', '.join(actual)}")
    passed = actual[column.lower()] == wanted
    return Outcome(passed, f"{'checked' if passed else 'expected'} {column} of type {wanted}: it is {actual[column.lower()]}")


def _only_declared_columns(spark: "SparkSession", check: Check, resolve: Resolve) -> Outcome:
    declared = [c.lower() for c in check.options["columns"]]
    extra = [name for name in _column_types(spark, resolve(check.table)) if name not in declared]
    if extra:
        return Outcome(False, f"expected only the declared columns; not declared ({check.source}): {', '.join(extra)}")
    return Outcome(True, f"checked the table has no column beyond {', '.join(check.options['columns'])}")


def _column_types(spark: "SparkSession", table: str) -> dict[str, str]:
    """Column name (lower case, as Spark resolves names) -> Spark's type name; metadata only, no job."""
    return {field.name.lower(): field.dataType.simpleString() for field in spark.table(table).schema.fields}


_RUNNERS: dict[str, Callable[["SparkSession", Check, Resolve], Outcome]] = {
    "not_null": _count_rows(_not_null),
    "unique": _count_rows(_unique),
    "accepted_values": _count_rows(_accepted_values),
    "accepted_range": _count_rows(_accepted_range),
    "relationships": _count_rows(_relationships),
    "freshness": _freshness,
    "type": _type,
    "row_count": _row_count,
    "row_count_ratio": _row_count_ratio,
    "only_declared_columns": _only_declared_columns,
}


# ---- text


def _value_sql(value: Any) -> str:
    """A YAML scalar as a Spark SQL literal; text and dates are string literals Spark casts to the column's type."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"CAST({literal(repr(value))} AS DOUBLE)"
    if isinstance(value, datetime):
        return literal(value.isoformat(sep=" "))
    if isinstance(value, date):
        return literal(value.isoformat())
    return literal(str(value))


def _between(bounds: dict) -> str:
    if "min" in bounds and "max" in bounds:
        return f"between {bounds['min']} and {bounds['max']}"
    return f"at least {bounds['min']}" if "min" in bounds else f"at most {bounds['max']}"


def _within(value: float, bounds: dict) -> bool:
    return bounds.get("min", value) <= value <= bounds.get("max", value)


def _duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if abs(seconds) >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds}s"


def _sample(rows: Sequence["Row"], failing: int, order: str = "") -> str:
    """Up to SAMPLE_ROWS offending rows, one per line, `column=value`, long values cut."""
    heading = f"{len(rows)} of {failing}" + (f", {order}" if order else "")
    lines = ["  " + ", ".join(f"{name}={_shown(value)}" for name, value in row.asDict().items()) for row in rows]
    return f"sample ({heading}):\n" + "\n".join(lines)


def _shown(value: Any) -> str:
    """Text quoted (so blanks show), NULL as NULL, numbers and times as Spark prints them."""
    text = "NULL" if value is None else repr(value) if isinstance(value, (str, bytes)) else str(value)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 3] + "..."
