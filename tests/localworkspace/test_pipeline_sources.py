"""What a pipeline update reads before Spark starts: its libraries in the workspace tree, its SQL
statements, the expectation decorators it gives `pyspark.pipelines`. Fast: no Spark session."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bundleops.localworkspace.pipeline_expectations import Expectation, expect, expect_all_or_drop, expectations_of
from bundleops.localworkspace.pipeline_errors import GraphError, Unsupported
from bundleops.localworkspace.pipeline_graph import Graph
from bundleops.localworkspace.layout import Layout
from bundleops.localworkspace.pipeline_runner import SourceError, plan, sources
from bundleops.localworkspace.pipeline_updates import UpdateRun
from bundleops.localworkspace.pipeline_sql import register, statements
from bundleops.localworkspace.workspace_tree import WorkspaceTree


def _sql(text: str) -> Graph:
    graph = Graph()
    register(text, "/Workspace/p/t.sql", None, graph)  # type: ignore[arg-type] - queries are built, not run
    return graph


def test_statements_split_at_semicolons_outside_quotes_and_comments() -> None:
    text = "-- Databricks notebook source\nSET a = 'x;y';\n/* a; comment */ SELECT ';' -- trailing; comment\n;\n\n-- COMMAND ----------\n"
    assert statements(text) == ["SET a = 'x;y'", "SELECT ';'"]


def test_sql_datasets_constraints_schema_flows_and_settings() -> None:
    graph = _sql("""
        SET pipelines.x = 'on';
        CREATE OR REFRESH MATERIALIZED VIEW sales.totals (
          customer STRING, total DOUBLE,
          CONSTRAINT known EXPECT (customer IS NOT NULL) ON VIOLATION DROP ROW,
          CONSTRAINT `positive total` EXPECT (total > (0)) ON VIOLATION FAIL UPDATE,
          CONSTRAINT counted EXPECT (total < 100)
        ) COMMENT 'per customer; totals' TBLPROPERTIES ('a' = 'b') AS SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer;
        CREATE STREAMING TABLE events;
        CREATE FLOW from_orders AS INSERT INTO events BY NAME SELECT id FROM STREAM(orders);
        CREATE TEMPORARY VIEW recent AS SELECT * FROM events;
    """)
    totals = graph.datasets["sales.totals"]
    assert (totals.kind, totals.schema) == ("materialized_view", "customer STRING, total DOUBLE")
    assert totals.expectations == [Expectation("known", "customer IS NOT NULL", "drop"), Expectation("positive total", "total > (0)", "fail"),
                                   Expectation("counted", "total < 100", "allow")]
    assert {name: dataset.kind for name, dataset in graph.datasets.items()} == {
        "sales.totals": "materialized_view", "events": "streaming_table", "recent": "temporary_view"}
    assert [(flow.name, flow.target) for flow in graph.flows] == [("sales.totals", "sales.totals"), ("from_orders", "events"), ("recent", "recent")]
    assert graph.conf == {"pipelines.x": "on"}
    graph.check()


@pytest.mark.parametrize(("text", "named"), [
    ("APPLY CHANGES INTO customers FROM STREAM(changes) KEYS (id) SEQUENCE BY ts", "AUTO CDC (APPLY CHANGES INTO / AUTO CDC INTO)"),
    ("CREATE FLOW f AS AUTO CDC INTO customers FROM STREAM(changes) KEYS (id) SEQUENCE BY ts", "AUTO CDC"),
    ("CREATE STREAMING TABLE raw AS SELECT * FROM STREAM read_files('/Volumes/a/b/c', format => 'json')", "read_files"),
    ("CREATE MATERIALIZED VIEW m SCHEDULE EVERY 1 HOUR AS SELECT 1", "the clause 'SCHEDULE EVERY 1 HOUR AS SELECT 1'"),
    ("CREATE TEMPORARY VIEW v (CONSTRAINT c EXPECT (x > 0)) AS SELECT 1 AS x", "an expectation on the temporary view v"),
    ("CREATE MATERIALIZED VIEW m (CONSTRAINT pk PRIMARY KEY (id)) AS SELECT 1 AS id", "the constraint 'CONSTRAINT pk PRIMARY KEY (id)'"),
    ("INSERT INTO t SELECT 1", "the statement 'INSERT INTO t SELECT 1'"),
])
def test_sql_the_local_workspace_cannot_run_is_refused_by_name(text: str, named: str) -> None:
    with pytest.raises(Unsupported) as refused:
        _sql(text)
    assert named in str(refused.value) and "/Workspace/p/t.sql" in str(refused.value)
    assert str(refused.value).endswith("is not supported by the local workspace")


def test_a_graph_with_a_flow_into_nothing_or_a_dataset_without_flow_is_refused() -> None:
    with pytest.raises(GraphError, match="the pipeline defines no dataset missing"):
        _sql("CREATE FLOW f AS INSERT INTO missing BY NAME SELECT 1 AS x").check()
    with pytest.raises(GraphError, match="dataset empty has no flow that fills it"):
        _sql("CREATE STREAMING TABLE empty").check()
    with pytest.raises(GraphError, match="dataset T is defined twice"):
        _sql("CREATE MATERIALIZED VIEW t AS SELECT 1; CREATE MATERIALIZED VIEW T AS SELECT 2")


def test_expectation_decorators_keep_the_source_order_and_are_refused_above_the_dataset_decorator() -> None:
    @expect("first", "a > 0")
    @expect_all_or_drop({"second": "b > 0", "third": "c > 0"})
    def query() -> None:
        return None

    assert [(rule.name, rule.action) for rule in expectations_of(query)] == [("first", "allow"), ("second", "drop"), ("third", "drop")]
    with pytest.raises(TypeError, match="goes below the dataset decorator"):
        expect("late", "a > 0")(None)  # type: ignore[arg-type] - what @dp.materialized_view hands on


def test_libraries_resolve_to_workspace_files(tmp_path: Path) -> None:
    root = tmp_path / "workspace"
    for name, text in {"p/a.py": "x = 1\n", "p/sub/b.sql": "SELECT 1\n", "p/sub/notes.md": "", "p/nb.py": "# Databricks notebook source\nx = 1\n"}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    tree = WorkspaceTree(root)
    found = sources({"libraries": [{"notebook": {"path": "/Workspace/p/nb"}}, {"glob": {"include": "/Workspace/p/**"}}, {"file": {"path": "/p/sub/b.sql"}}]}, tree)
    assert [source["path"] for source in found] == [
        "/Workspace/p/nb", "/Workspace/p/a.py", "/Workspace/p/nb.py", "/Workspace/p/sub/b.sql", "/Workspace/p/sub/b.sql"]
    assert found[0]["local"] == str(root / "p/nb.py")
    assert [source["path"] for source in sources({"libraries": [{"glob": {"include": "/Workspace/p/sub/*.sql"}}]}, tree)] == ["/Workspace/p/sub/b.sql"]
    with pytest.raises(SourceError, match=r"^a continuous pipeline \(continuous: true; its updates never end\) is not supported by the local workspace$"):
        plan(UpdateRun("p", "p", "u", {"continuous": True, "libraries": [{"file": {"path": "/p/a.py"}}]}, {}, 0, [], threading.RLock()),
             tree, Layout(tmp_path))
    with pytest.raises(SourceError, match="root_path /Workspace/p/gone is not a folder"):
        plan(UpdateRun("p", "p", "u", {"root_path": "/Workspace/p/gone", "libraries": [{"file": {"path": "/p/a.py"}}]}, {}, 0, [], threading.RLock()),
             tree, Layout(tmp_path))
    for libraries, message in (([], "has no libraries"), ([{"file": {"path": "/Workspace/p/gone.py"}}], "does not exist in the workspace"),
                               ([{"file": {"path": "/Workspace/p/sub/notes.md"}}], "neither Python nor SQL"),
                               ([{"jar": "dbfs:/x.jar"}], "the library type jar"), ([{"glob": {"include": "/Workspace/q/**"}}], "is not a folder")):
        with pytest.raises(SourceError, match=message):
            sources({"libraries": libraries}, tree)


def test_python_declarations_land_in_the_graph_and_auto_cdc_and_sinks_are_refused() -> None:
    from pyspark import pipelines as dp
    from pyspark.pipelines.graph_element_registry import graph_element_registration_context

    from bundleops.localworkspace.pipeline_graph import LocalRegistry, dp_functions

    registry = LocalRegistry(None)  # type: ignore[arg-type] - nothing here runs a query
    with graph_element_registration_context(registry):
        @dp.materialized_view(name="checked", schema="id INT")
        @expect("positive", "id > 0")
        def checked_query() -> None:
            return None

        dp.create_streaming_table("events")

        @dp.append_flow(target="events", spark_conf={"spark.sql.shuffle.partitions": "1"})
        def from_orders() -> None:
            return None

        with pytest.raises(Unsupported, match=r"^the AUTO CDC flow into events \(dp.create_auto_cdc_flow\) is not supported by the local workspace$"):
            dp_functions()["create_auto_cdc_flow"](target="events", source="changes", keys=["id"], sequence_by="ts")
        with pytest.raises(Unsupported, match=r"^the AUTO CDC flow into events \(dp.apply_changes\)"):
            dp_functions()["apply_changes"]("events", "changes", ["id"], "ts")
        with pytest.raises(Unsupported, match=r"the Sink out \(dp.create_sink\) is not supported by the local workspace"):
            dp.create_sink("out", format="console")

        @dp.temporary_view
        def recent() -> None:
            return None

        with pytest.raises(Unsupported, match="an expectation on the temporary view later"):
            @dp.temporary_view(name="later")
            @expect("x", "x > 0")
            def later_query() -> None:
                return None

    graph = registry.graph
    assert {name: (d.kind, d.schema, [e.name for e in d.expectations]) for name, d in graph.datasets.items()} == {
        "checked": ("materialized_view", "id INT", ["positive"]), "events": ("streaming_table", None, []),
        "recent": ("temporary_view", None, []), "later": ("temporary_view", None, [])}
    assert [(flow.name, flow.target, flow.spark_conf) for flow in graph.flows] == [
        ("checked", "checked", {}), ("from_orders", "events", {"spark.sql.shuffle.partitions": "1"}), ("recent", "recent", {})]
