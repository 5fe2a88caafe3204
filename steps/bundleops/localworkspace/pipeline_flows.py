"""Running a pipeline's flows on a classic SparkSession, in dependency order, into the local catalog.

Where a dataset lives: the local catalog's warehouse, `<warehouse>/<catalog>/<schema>.db/<table>/`
(Parquet, Spark's layout under `spark.sql.warehouse.dir = <warehouse>/<catalog>`), which is what
the Tables API lists. The session's in-memory metastore learns the tables already there when the
update starts (`Tables.attach_all`) and each table a flow writes (`Tables.publish`).

How a flow runs, as Databricks runs it:
- a materialized view (or a table whose query is a batch query) is recomputed from scratch;
- a streaming table's flows are incremental: each streaming query runs with an `availableNow`
  trigger from its checkpoint under the pipeline's storage, appending what is new; a full refresh
  clears the table and its checkpoints first;
- a temporary view is a session view the flows after it read.
Expectations are enforced on every batch written (pipeline_expectations.enforce).

The order: a flow waits while its query fails to find a dataset of the pipeline that has not been
computed yet, or while its analysed plan reads one; flows that can never run (a cycle, a read of
a dataset nothing computes) fail the update naming them.
"""

from __future__ import annotations

import shutil
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

from bundleops.localworkspace.pipeline_errors import ExpectationFailed, FlowFailed, Unsupported, UpdateFailure, failure_message
from bundleops.localworkspace.pipeline_expectations import Tally, enforce
from bundleops.localworkspace.pipeline_graph import Dataset, FlowSpec, Graph, GraphError
from bundleops.testrunner.spark import attach_parquet, quoted

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

Emit = Callable[..., None]


@dataclass
class Tables:
    spark: SparkSession
    catalog_dir: Path  # <warehouse>/<catalog>
    catalog: str
    schema: str

    def resolve(self, name: str) -> tuple[str, str]:
        """(schema, table) of a dataset name, lower-cased as Unity Catalog keeps names."""
        parts = [part.strip("`").lower() for part in name.split(".")]
        if len(parts) == 3 and parts[0] != self.catalog:
            raise Unsupported(f"writing {name} into catalog {parts[0]}, not the pipeline's catalog {self.catalog},")
        if len(parts) > 3:
            raise GraphError(f"{name} is not a table name (table, schema.table or catalog.schema.table)")
        return (parts[-2] if len(parts) > 1 else self.schema), parts[-1]

    def full_name(self, name: str) -> str:
        return ".".join((self.catalog, *self.resolve(name)))

    def path(self, name: str) -> Path:
        schema, table = self.resolve(name)
        return self.catalog_dir / f"{schema}.db" / table

    def attach_all(self) -> None:
        """Make the tables already in the catalog's warehouse readable by name. A table another
        process is rewriting right now may not be readable: it is left out (a read of it fails
        naming it), and the update goes on."""
        from pyspark.errors import AnalysisException

        self.spark.sql(f"CREATE DATABASE IF NOT EXISTS {quoted(self.schema)}")
        for folder in sorted(self.catalog_dir.glob("*.db/*")):
            if folder.is_dir() and _has_data(folder):
                self.spark.sql(f"CREATE DATABASE IF NOT EXISTS {quoted(folder.parent.name[:-3])}")
                try:
                    self._register(folder.parent.name[:-3], folder.name, folder, replace=False)
                except AnalysisException as error:
                    print(f"table {folder.parent.name[:-3]}.{folder.name} left out, it cannot be read now: {error}", file=sys.stderr)

    def publish(self, name: str) -> None:
        schema, table = self.resolve(name)
        self.spark.sql(f"CREATE DATABASE IF NOT EXISTS {quoted(schema)}")
        self._register(schema, table, self.path(name), replace=True)

    def _register(self, schema: str, table: str, folder: Path, *, replace: bool) -> None:
        if replace:
            self.spark.sql(f"DROP TABLE IF EXISTS {quoted(schema)}.{quoted(table)}")  # an external table: its files stay
        attach_parquet(self.spark, schema, table, folder)

    def clear(self, name: str) -> None:
        schema, table = self.resolve(name)
        self.spark.sql(f"DROP TABLE IF EXISTS {quoted(schema)}.{quoted(table)}")
        shutil.rmtree(self.path(name), ignore_errors=True)


def _has_data(folder: Path) -> bool:
    return any(folder.rglob("*.parquet")) and not (folder / "_delta_log").exists()


@contextmanager
def _flow_conf(spark: SparkSession, conf: dict[str, str]) -> Iterator[None]:
    """A flow's `spark_conf`, set while its query is built and run, then put back."""
    before = {key: spark.conf.get(key, None) for key in conf}
    for key, value in conf.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, value)


def _cast(frame: DataFrame, schema: Any) -> DataFrame:
    """Rows cast to a declared schema (a DDL string or StructType), as the dataset declares it."""
    if schema is None:
        return frame
    from pyspark.sql.types import StructType

    if not isinstance(schema, StructType):
        schema = StructType.fromDDL(schema)
    return frame.to(schema)


def _catalog_table(leaf: Any) -> Any:
    """The CatalogTable a leaf of an analysed plan reads, or None (a local relation, a file path)."""
    for read in (lambda: leaf.catalogTable(), lambda: leaf.dataSource().catalogTable(), lambda: leaf.tableMeta()):
        try:
            found = read()
        except Exception:  # noqa: BLE001 - py4j's error for a method this kind of leaf does not have
            continue
        if hasattr(found, "isDefined"):
            return found.get() if found.isDefined() else None
        return found
    return None


def reads(frame: DataFrame) -> set[tuple[str, str]]:
    """The (schema, table) pairs of the catalog tables a DataFrame reads (views are inlined)."""
    found = set()
    leaves = frame._jdf.queryExecution().analyzed().collectLeaves().iterator()  # noqa: SLF001 - the only way to the plan
    while leaves.hasNext():
        table = _catalog_table(leaves.next())
        if table is not None:
            identifier = table.identifier()
            schema = identifier.database().get() if identifier.database().isDefined() else ""
            found.add((str(schema).lower(), str(identifier.table()).lower()))
    return found


class FlowRunner:
    def __init__(self, spark: SparkSession, graph: Graph, tables: Tables, checkpoints: Path, emit: Emit) -> None:
        self.spark, self.graph, self.tables, self.checkpoints, self.emit = spark, graph, tables, checkpoints, emit

    def full_refresh(self, datasets: list[Dataset]) -> None:
        """Streaming tables start over: data and the checkpoints of the flows into them."""
        for dataset in datasets:
            if dataset.kind == "streaming_table":
                self.tables.clear(dataset.name)
                for flow in self.graph.flows:
                    if flow.target.lower() == dataset.name.lower():
                        shutil.rmtree(self._checkpoint(flow), ignore_errors=True)

    def run(self, flows: list[FlowSpec], *, validate_only: bool) -> None:
        pending = list(flows)
        waiting_on: dict[str, str] = {}
        if not validate_only:
            for flow in flows:
                self._flow_event(self._origin(flow), "QUEUED")
        while pending:
            ran = False
            for flow in list(pending):
                try:
                    frame, blocker = self._ready(flow, pending)
                    if frame is None:
                        waiting_on[flow.name] = blocker
                        continue
                    if validate_only:
                        self._validate(flow, frame)
                    else:
                        self._execute(flow, frame)
                except UpdateFailure:
                    raise
                except Exception as error:
                    raise FlowFailed(f"flow {flow.name} into {flow.target} failed: {failure_message(error)}") from error
                pending.remove(flow)
                ran = True
            if not ran:
                stuck = "; ".join(f"flow {flow.name} waits on {waiting_on[flow.name]}" for flow in pending)
                raise GraphError(f"these flows can never run: {stuck} (a cycle between datasets, or a read of a dataset no flow computes)")

    def _pending_datasets(self, pending: list[FlowSpec], flow: FlowSpec) -> dict[tuple[str, str], str]:
        """The datasets (by (schema, table)) some other pending flow still has to compute."""
        return {self.tables.resolve(other.target): other.target for other in pending
                if other is not flow and other.target.lower() != flow.target.lower()}

    def _ready(self, flow: FlowSpec, pending: list[FlowSpec]) -> tuple[DataFrame | None, str]:
        from pyspark.errors import AnalysisException

        waiting = self._pending_datasets(pending, flow)
        views = {name.rsplit(".", 1)[-1].lower() for name in waiting.values()}
        try:
            with _flow_conf(self.spark, flow.spark_conf):
                frame = flow.query()
                read = reads(frame)
        except AnalysisException as error:
            missing = str((error.getMessageParameters() or {}).get("relationName", "")).replace("`", "").lower()
            if error.getCondition() == "TABLE_OR_VIEW_NOT_FOUND" and (missing.rsplit(".", 1)[-1] in views):
                return None, missing
            raise
        if frame.isStreaming:
            self._refuse_streams_of_materialized_views(flow, read)
        blockers = sorted(waiting[key] for key in read if key in waiting)
        return (None, ", ".join(blockers)) if blockers else (frame, "")

    def _refuse_streams_of_materialized_views(self, flow: FlowSpec, read: set[tuple[str, str]]) -> None:
        """A materialized view is rewritten by every update: a stream over its files would read
        every row again each time (Databricks fails such a stream once the view changes)."""
        for dataset in self.graph.datasets.values():
            if dataset.kind == "materialized_view" and self.tables.resolve(dataset.name) in read:
                raise Unsupported(f"a streaming read of the materialized view {dataset.name} (flow {flow.name}; read it in batch, "
                                  "or stream from a streaming table)")

    def _validate(self, flow: FlowSpec, frame: DataFrame) -> None:
        """Analysis only: the query resolves; later flows read it as a view of the same name."""
        _cast(frame, self.graph.dataset(flow.target).schema).createOrReplaceTempView(flow.target.rsplit(".", 1)[-1])

    def _origin(self, flow: FlowSpec) -> dict[str, str]:
        """A flow event's origin: the flow, and its dataset by full name (a temporary view by its own)."""
        dataset = self.graph.dataset(flow.target)
        return {"flow_name": flow.name, "dataset_name": dataset.name if dataset.kind == "temporary_view" else self.tables.full_name(dataset.name)}

    def _execute(self, flow: FlowSpec, frame: DataFrame) -> None:
        dataset = self.graph.dataset(flow.target)
        origin = self._origin(flow)
        tally = Tally.of(origin["dataset_name"], dataset.expectations)
        for status in ("STARTING", "RUNNING"):
            self._flow_event(origin, status)
        try:
            with _flow_conf(self.spark, flow.spark_conf):
                if dataset.kind == "temporary_view":
                    frame.createOrReplaceTempView(dataset.name.rsplit(".", 1)[-1])
                    written = None
                elif frame.isStreaming:
                    written = self._append(flow, dataset, frame, tally)
                else:
                    written = self._overwrite(flow, dataset, frame, tally)
        except Exception as error:
            self._flow_event(origin, "FAILED", error=failure_message(error), level="ERROR")
            raise
        if written is not None:
            self.emit("table", path=str(self.tables.path(dataset.name)))
        progress: dict[str, Any] = {}
        if written is not None:
            progress["metrics"] = {"num_output_rows": written}
        if dataset.expectations:
            progress["data_quality"] = tally.data_quality()
        self._flow_event(origin, "COMPLETED", **progress)

    def _flow_event(self, origin: dict[str, str], status: str, *, error: str | None = None, level: str = "INFO", **progress: Any) -> None:
        self.emit("event", level=level, event_type="flow_progress", message=f"Flow '{origin['flow_name']}' is {status}.", error=error,
                  origin=origin, details={"flow_progress": {"status": status, **progress}})

    def _rows(self, dataset: Dataset) -> int:
        path = self.tables.path(dataset.name)
        return self.spark.read.parquet(str(path)).count() if _has_data(path) else 0

    def _overwrite(self, flow: FlowSpec, dataset: Dataset, frame: DataFrame, tally: Tally) -> int:
        frame = _cast(frame, dataset.schema)
        if dataset.expectations:
            frame = frame.persist()
        try:
            enforce(frame, tally, flow.name).write.mode("overwrite").parquet(str(self.tables.path(dataset.name)))
        finally:
            frame.unpersist()
        self.tables.publish(dataset.name)
        return self._rows(dataset)

    def _append(self, flow: FlowSpec, dataset: Dataset, frame: DataFrame, tally: Tally) -> int:
        from pyspark.errors import StreamingQueryException

        path, failures = str(self.tables.path(dataset.name)), []
        before = self._rows(dataset)

        def batch(rows: DataFrame, batch_id: int) -> None:
            rows = _cast(rows, dataset.schema).persist()
            try:
                enforce(rows, tally, flow.name).write.mode("append").parquet(path)
            except ExpectationFailed as failure:
                failures.append(failure)
                raise
            finally:
                rows.unpersist()

        query = (frame.writeStream.foreachBatch(batch).option("checkpointLocation", str(self._checkpoint(flow)))
                 .trigger(availableNow=True).queryName(flow.name).start())
        try:
            query.awaitTermination()
        except StreamingQueryException:
            if failures:
                raise failures[0] from None
            raise
        if not _has_data(self.tables.path(dataset.name)):  # nothing arrived yet: the table exists, empty
            self.spark.createDataFrame([], _cast(frame, dataset.schema).schema).write.mode("append").parquet(path)
        self.tables.publish(dataset.name)
        return self._rows(dataset) - before

    def _checkpoint(self, flow: FlowSpec) -> Path:
        return self.checkpoints / flow.target.lower() / flow.name.lower()

