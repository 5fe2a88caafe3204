"""The run's temporary schema, its `RemoveAfter` property, and the sweep of expired leftovers.

A run that is killed (cancelled CI job, cluster loss) never reaches its clean-up, so every
temporary schema carries the UTC time after which any later run may drop it. The sweep only
drops schemas that have the runner's prefix AND a `RemoveAfter` in the past: a schema without
the property, or with one it cannot read, is somebody else's and is left alone.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from bundleops.testrunner.sql import ident, literal, qualified

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

REMOVE_AFTER = "RemoveAfter"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_PROPERTY = re.compile(r"\(\s*" + REMOVE_AFTER + r"\s*,\s*([^,)]+)\)")


def schema_name(prefix: str, run_id: str) -> str:
    """`<prefix>_<run id>` in lower case, with anything but letters, digits and `_` made `_`."""
    return re.sub(r"[^a-z0-9_]", "_", f"{prefix}_{run_id}".lower())


def format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(_TIME_FORMAT)


def create(spark: "SparkSession", catalog: str, schema: str, ttl: timedelta, now: datetime) -> str:
    """Create the run's schema (dropping a leftover of an earlier attempt of the same run)."""
    name = qualified(catalog, schema)
    remove_after = format_time(now + ttl)
    spark.sql(f"DROP SCHEMA IF EXISTS {name} CASCADE")
    spark.sql(
        f"CREATE SCHEMA {name} COMMENT {literal('bundleops.testrunner temporary schema; dropped at the end of the run')} "
        f"WITH DBPROPERTIES ({literal(REMOVE_AFTER)} = {literal(remove_after)})"
    )
    return remove_after


def drop(spark: "SparkSession", catalog: str, schema: str) -> None:
    spark.sql(f"DROP SCHEMA IF EXISTS {qualified(catalog, schema)} CASCADE")


def exists(spark: "SparkSession", catalog: str, schema: str) -> bool:
    rows = spark.sql(f"SHOW SCHEMAS IN {ident(catalog)} LIKE {literal(schema)}").collect()
    return any(row[0].lower() == schema.lower() for row in rows)


def remove_after(spark: "SparkSession", catalog: str, schema: str) -> datetime | None:
    """The schema's RemoveAfter time, or None when it has none (or an unreadable one)."""
    for row in spark.sql(f"DESCRIBE SCHEMA EXTENDED {qualified(catalog, schema)}").collect():
        if str(row[0]).strip().lower() == "properties":
            match = _PROPERTY.search(str(row[1]))
            if match:
                try:
                    return datetime.strptime(match.group(1).strip(), _TIME_FORMAT).replace(tzinfo=timezone.utc)
                except ValueError:
                    return None
    return None


def sweep(spark: "SparkSession", catalog: str, prefix: str, now: datetime, keep: str) -> list[str]:
    """Drop `<prefix>_*` schemas whose RemoveAfter has passed; returns the dropped names."""
    rows = spark.sql(f"SHOW SCHEMAS IN {ident(catalog)} LIKE {literal(prefix + '_*')}").collect()
    dropped = []
    for name in sorted(str(row[0]) for row in rows):
        if not name.lower().startswith(prefix.lower() + "_") or name.lower() == keep.lower():
            continue
        try:
            expiry = remove_after(spark, catalog, name)
        except Exception:  # noqa: BLE001 - another run's sweep may have dropped it meanwhile
            if exists(spark, catalog, name):
                raise
            continue
        if expiry is not None and expiry < now:
            drop(spark, catalog, name)
            dropped.append(name)
    return dropped
