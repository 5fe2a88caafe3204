"""A pipeline's dataflow graph as its sources declare it: datasets and the flows that fill them.

`LocalRegistry` is a `pyspark.pipelines` `GraphElementRegistry`: while a pipeline's Python files
are imported inside `graph_element_registration_context`, `@dp.materialized_view`, `@dp.table`,
`@dp.temporary_view`, `dp.create_streaming_table` and `@dp.append_flow` land here, and SQL files
are parsed by pipeline_sql.py into the same `Dataset` and `FlowSpec`. What the local workspace
cannot run is refused here, by name: AUTO CDC flows and sinks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from pyspark.pipelines.flow import AutoCdcFlow, Flow
from pyspark.pipelines.graph_element_registry import GraphElementRegistry
from pyspark.pipelines.output import MaterializedView, Output, StreamingTable, TemporaryView

from bundleops.localworkspace.pipeline_errors import GraphError, Unsupported
from bundleops.localworkspace.pipeline_expectations import DECORATORS, Expectation, expectations_of

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

KINDS = {MaterializedView: "materialized_view", StreamingTable: "streaming_table", TemporaryView: "temporary_view"}
# Databricks' AUTO CDC functions (`apply_changes*` are their former names); pyspark has the first
AUTO_CDC = ("create_auto_cdc_flow", "create_auto_cdc_from_snapshot_flow", "apply_changes", "apply_changes_from_snapshot")


@dataclass
class Dataset:
    name: str  # as declared: `t`, `schema.t` or `catalog.schema.t`
    kind: str  # materialized_view | streaming_table | temporary_view
    schema: Any = None  # a DDL string or StructType the rows are cast to, or None
    expectations: list[Expectation] = field(default_factory=list)


@dataclass
class FlowSpec:
    name: str
    target: str
    query: Callable[[], DataFrame]
    spark_conf: dict[str, str] = field(default_factory=dict)


@dataclass
class Graph:
    datasets: dict[str, Dataset] = field(default_factory=dict)  # by lower-case name
    flows: list[FlowSpec] = field(default_factory=list)  # in declaration order
    conf: dict[str, str] = field(default_factory=dict)  # SQL `SET` statements

    def add_dataset(self, dataset: Dataset) -> None:
        key = dataset.name.lower()
        if key in self.datasets:
            raise GraphError(f"dataset {dataset.name} is defined twice")
        self.datasets[key] = dataset

    def dataset(self, name: str) -> Dataset:
        found = self.datasets.get(name.lower())
        if found is None:
            raise GraphError(f"flow into {name}: the pipeline defines no dataset {name} (declare it, e.g. with dp.create_streaming_table)")
        return found

    def check(self) -> None:
        """Every flow writes into a declared dataset; every dataset has a flow."""
        for flow in self.flows:
            self.dataset(flow.target)
        filled = {flow.target.lower() for flow in self.flows}
        for key, dataset in self.datasets.items():
            if key not in filled:
                raise GraphError(f"dataset {dataset.name} has no flow that fills it (give it a query, or an append flow)")


class LocalRegistry(GraphElementRegistry):
    def __init__(self, spark: SparkSession) -> None:
        self.spark = spark
        self.graph = Graph()

    def register_output(self, output: Output) -> None:
        kind = KINDS.get(type(output))
        if kind is None:
            raise Unsupported(f"the {type(output).__name__} {output.name} (dp.create_sink)")
        self.graph.add_dataset(Dataset(output.name, kind, getattr(output, "schema", None)))

    def register_flow(self, flow: Flow) -> None:
        rules = expectations_of(flow.func)
        if rules:
            dataset = self.graph.dataset(flow.target)
            if dataset.kind == "temporary_view":
                raise Unsupported(f"an expectation on the temporary view {dataset.name}")
            dataset.expectations.extend(rules)
        self.graph.flows.append(FlowSpec(flow.name, flow.target, flow.func, dict(flow.spark_conf or {})))

    def register_auto_cdc_flow(self, flow: AutoCdcFlow) -> None:
        raise Unsupported(f"the AUTO CDC flow into {flow.target} (dp.create_auto_cdc_flow)")

    def register_sql(self, sql_text: str, file_path: Path) -> None:
        from bundleops.localworkspace.pipeline_sql import register

        register(sql_text, str(file_path), self.spark, self.graph)


def _refuse_auto_cdc(name: str) -> Callable[..., None]:
    def refuse(*args: Any, **kwargs: Any) -> None:
        target = kwargs.get("target") or (args[0] if args else "its target")
        raise Unsupported(f"the AUTO CDC flow into {target} (dp.{name})")

    return refuse


def dp_functions() -> dict[str, Callable[..., Any]]:
    """What an update adds to `pyspark.pipelines` (the pipeline's `dp`): Databricks' expectation
    decorators, and its AUTO CDC functions refused by name (pyspark's own `create_auto_cdc_flow`
    needs Spark Connect's dependencies before it would reach the registry)."""
    return {**DECORATORS, **{name: _refuse_auto_cdc(name) for name in AUTO_CDC}}


def prepare_modules(spark: SparkSession) -> None:
    """In the update's process only: give `pyspark.pipelines` the `dp_functions`, and make `import
    dlt` (Databricks' former name of the module) that module plus its former names: `view` for
    `temporary_view`, `read` and `read_stream` for reading a dataset by name."""
    import sys
    import types

    import pyspark.pipelines as dp

    for name, function in dp_functions().items():
        setattr(dp, name, function)
    dlt = types.ModuleType("dlt", "Databricks' former name of pyspark.pipelines, as the local workspace's pipeline updates give it")
    dlt.__dict__.update({name: getattr(dp, name) for name in dir(dp) if not name.startswith("_")})
    dlt.__dict__.update(view=dp.temporary_view, read=spark.read.table, read_stream=spark.readStream.table)
    sys.modules["dlt"] = dlt
