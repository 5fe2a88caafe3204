"""The SparkSession the runner uses: the runtime's inside Databricks, a tuned local one elsewhere.

Local mode is tuned to start fast and stay small on a 2-core CI runner: `local[2]`, no UI, two
shuffle partitions, adaptive execution off, the C1 JIT only and the serial GC, everything bound
to 127.0.0.1. Local Spark has one catalog, `spark_catalog`. Each session gets a fresh warehouse
folder (a reused one breaks the next run with LOCATION_ALREADY_EXISTS), unless a persistent
metastore folder is given: then metastore and warehouse live there together, so schemas outlive
the process (what a killed run leaves behind, and what the sweep must find).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

LOCAL_CATALOG = "spark_catalog"

_LOCAL_CONF = {
    "spark.master": "local[2]",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.log.level": "WARN",
}
_FAST_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def on_databricks() -> bool:
    """Inside a Databricks job the runtime sets DATABRICKS_RUNTIME_VERSION."""
    return "DATABRICKS_RUNTIME_VERSION" in os.environ


def runtime_session() -> "SparkSession":
    from pyspark.sql import SparkSession

    return SparkSession.builder.getOrCreate()


def local_session(warehouse_dir: Path | None = None, metastore_dir: Path | None = None, conf: Mapping[str, str] | None = None) -> "SparkSession":
    """A new local SparkSession (see the module docstring); pyspark comes with `bundleops[local]`.
    `conf`: settings on top of the tuned ones (the local workspace's pipeline updates map paths with it)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        from bundleops.errors import BundleopsError, ExitCode

        raise BundleopsError(
            "pyspark is not installed, and local integration tests need it",
            fix="pip install 'bundleops[local]' (and Java 17)",
            code=ExitCode.BAD_INPUT,
        ) from None
    # Python workers (UDFs, createDataFrame from Python rows) must run the driver's interpreter.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("bundleops.testrunner")
    for key, value in {**_LOCAL_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    java_options = _FAST_JVM
    if metastore_dir is not None:
        metastore_dir.mkdir(parents=True, exist_ok=True)
        warehouse_dir = metastore_dir / "warehouse"
        java_options += f" -Dderby.system.home={metastore_dir}"
        builder = (
            builder.config("spark.sql.catalogImplementation", "hive")
            .config("spark.hadoop.javax.jdo.option.ConnectionURL", f"jdbc:derby:;databaseName={metastore_dir / 'metastore_db'};create=true")
        )
    if warehouse_dir is None:
        warehouse_dir = Path(tempfile.mkdtemp(prefix="bundleops-warehouse-"))
    builder = builder.config("spark.sql.warehouse.dir", str(warehouse_dir)).config("spark.driver.extraJavaOptions", java_options)
    return builder.getOrCreate()


def register_tables(spark: "SparkSession", schema: str, folder: Path) -> list[str]:
    """Make the tables another process wrote under `folder` (`<table>/`, Parquet: a pipeline's
    update in the local workspace) readable as `<schema>.<table>`: a local session's catalog only
    knows the tables it created itself. Returns the names registered."""
    tables = sorted(path for path in folder.iterdir() if path.is_dir() and not path.name.startswith(("_", "."))) if folder.is_dir() else []
    spark.sql(f"CREATE DATABASE IF NOT EXISTS {quoted(schema)} LOCATION {_location(folder)}")
    for table in tables:
        attach_parquet(spark, schema, table.name, table)
    return [table.name for table in tables]


def attach_parquet(spark: "SparkSession", schema: str, table: str, folder: Path) -> None:
    """`schema.table` in this session's catalog, reading the Parquet files in `folder` (an external
    table: dropping it leaves the files)."""
    spark.sql(f"CREATE TABLE IF NOT EXISTS {quoted(schema)}.{quoted(table)} USING parquet LOCATION {_location(folder)}")


def quoted(name: str) -> str:
    """A name as a Spark SQL identifier, whatever characters it holds."""
    return "`" + name.replace("`", "``") + "`"


def _location(folder: Path) -> str:
    return "'" + str(folder).replace("'", "\\'") + "'"
