"""One pipeline update, in a process of its own: `python -m bundleops.localworkspace.pipeline_process`.

The local workspace (pipeline_runner.py) starts it with the update's plan as JSON on stdin and
reads back, from stdout, lines that start with `MARKER`: the update's next state, an event for
the pipeline's event log, a table written, the error that failed the update; everything else the process prints (the pipeline's own prints, Spark's
logs) goes to the update's log file. One SparkSession per update; a crash or a stop of this
process ends the update, never the workspace. The pipeline's code reads `/Volumes/...` and
`/Workspace/...` paths as on Databricks (`_mounts`).

    INITIALIZING       start Spark, give `pyspark.pipelines` the expectation decorators, make `import dlt` work (pipeline_graph.prepare_modules)
    SETTING_UP_TABLES  import the Python sources and read the SQL ones into the graph; check it
    RUNNING            run the flows (validate_only: analyse them, write nothing)

Exit 0: the update is COMPLETED; exit 1 after an `error` line: FAILED with that message.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bundleops.localworkspace.pipeline_errors import GraphError, failure_message

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from bundleops.localworkspace.pipeline_graph import Graph, LocalRegistry

MARKER = "__bundleops_pipeline__:"


def emit(kind: str, **fields: Any) -> None:
    print(MARKER + json.dumps({"kind": kind, **fields}), flush=True)


def _mounts(environ: dict[str, str]) -> dict[str, str]:
    """Hadoop settings that make `/Workspace/...` and `/Volumes/...` the local workspace's folders
    for Spark, as the FUSE mounts make them on Databricks: a view file system whose mount table
    links the two and falls back to the local file system for every other path."""
    from bundleops.mounts import VOLUMES_ROOT_ENV, WORKSPACE_ROOT_ENV

    links = {"/Workspace": environ.get(WORKSPACE_ROOT_ENV), "/Volumes": environ.get(VOLUMES_ROOT_ENV)}
    conf = {f"spark.hadoop.fs.viewfs.mounttable.local.link.{mount}": Path(root).as_uri() for mount, root in links.items() if root}
    if not conf:
        return {}
    return {**conf, "spark.hadoop.fs.viewfs.mounttable.local.linkFallback": "file:///", "spark.hadoop.fs.defaultFS": "viewfs://local/"}


def _session(catalog_dir: Path, configuration: dict[str, str]) -> SparkSession:
    import os

    from bundleops.testrunner.spark import local_session

    catalog_dir.mkdir(parents=True, exist_ok=True)
    spark = local_session(warehouse_dir=catalog_dir, conf=_mounts(dict(os.environ)))
    for key, value in configuration.items():
        spark.conf.set(key, value)
    return spark


def _register(spark: SparkSession, sources: list[dict[str, str]], registry: LocalRegistry) -> None:
    """Import each Python source with `spark` in its globals (as `spark-pipelines` does) and read
    each SQL source. `sources`: the workspace `path` (what errors name) and the `local` file."""
    from pyspark.pipelines.graph_element_registry import graph_element_registration_context

    with graph_element_registration_context(registry):
        for named in sources:
            source = Path(named["local"])
            if source.suffix == ".sql":
                registry.register_sql(source.read_text(encoding="utf-8"), Path(named["path"]))
                continue
            spec = importlib.util.spec_from_file_location(source.stem, source)
            if spec is None or spec.loader is None:
                raise GraphError(f"{named['path']}: Python cannot import this file")
            module = importlib.util.module_from_spec(spec)
            module.__dict__["spark"] = spark
            sys.path.insert(0, str(source.parent))
            try:
                spec.loader.exec_module(module)
            except Exception as error:
                raise GraphError(f"{named['path']}: {failure_message(error)}") from error
            finally:
                sys.path.remove(str(source.parent))


def _selected(graph: Graph, names: list[str] | None) -> set[str] | None:
    """The datasets (keys of `graph.datasets`) a refresh selection names, by full or last-part name."""
    if not names:
        return None
    wanted = {name.lower() for name in names}
    unknown = wanted - {key.rsplit(".", 1)[-1] for key in graph.datasets} - set(graph.datasets)
    if unknown:
        raise GraphError(f"the refresh selection names {', '.join(sorted(unknown))}, which the pipeline does not define")
    return {key for key in graph.datasets if key in wanted or key.rsplit(".", 1)[-1] in wanted}


def update(plan: dict[str, Any]) -> None:
    from bundleops.localworkspace.pipeline_flows import FlowRunner, Tables
    from bundleops.localworkspace.pipeline_graph import LocalRegistry, prepare_modules

    emit("state", state="INITIALIZING")
    catalog_dir = Path(plan["warehouse_dir"]) / plan["catalog"]
    spark = _session(catalog_dir, plan.get("configuration") or {})
    prepare_modules(spark)
    emit("state", state="SETTING_UP_TABLES")
    tables = Tables(spark, catalog_dir, plan["catalog"], plan["schema"])
    tables.attach_all()
    spark.catalog.setCurrentDatabase(plan["schema"])
    registry = LocalRegistry(spark)
    if plan.get("root"):
        sys.path.insert(0, plan["root"])
    _register(spark, plan["sources"], registry)
    graph = registry.graph
    graph.check()
    for key, value in graph.conf.items():
        spark.conf.set(key, value)
    refresh = _selected(graph, plan.get("refresh_selection"))
    full = _selected(graph, plan.get("full_refresh_selection"))
    chosen = None if refresh is None and full is None else (refresh or set()) | (full or set())
    flows = [flow for flow in graph.flows if chosen is None or flow.target.lower() in chosen
             or graph.dataset(flow.target).kind == "temporary_view"]
    runner = FlowRunner(spark, graph, tables, Path(plan["checkpoints_dir"]), emit)
    if plan.get("validate_only"):
        runner.run(flows, validate_only=True)
        return
    emit("state", state="RUNNING")
    if plan.get("full_refresh"):
        runner.full_refresh(list(graph.datasets.values()))
    elif full:
        runner.full_refresh([graph.datasets[key] for key in full])
    runner.run(flows, validate_only=False)


def main() -> int:
    from bundleops.errors import BundleopsError
    from bundleops.extras import require

    plan = json.load(sys.stdin)
    try:
        require("local", "a pipeline update of the local workspace")
        update(plan)
    except BundleopsError as error:
        emit("error", message=f"{error.message}: {error.fix}")
        return 1
    except BaseException as error:  # noqa: BLE001 - every failure is the update's, told by its message
        traceback.print_exc()
        emit("error", message=failure_message(error))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
