"""Pipeline updates run for real: Python and SQL sources through Spark into the local catalog,
expectations enforced and counted in the event log, refusals by name, a job's pipeline_task.

One local workspace for the module; each test has its own pipeline and schema, and starts one
update (one Spark session in the update's process).
"""

from __future__ import annotations

import json
import time
from typing import Any, Iterator

import pytest

from tests.support.local_workspace import create_job, upload

pytestmark = [pytest.mark.spark, pytest.mark.integration]

ORDERS_PY = '''
from pyspark import pipelines as dp

from utilities.schemas import ORDERS  # the pipeline's root_path is on sys.path


@dp.table(comment="orders as they land in the volume the pipeline's configuration names")
def raw_orders():
    return spark.readStream.schema(ORDERS).json(spark.conf.get("landing"))


@dp.materialized_view
@dp.expect_or_drop("positive_amount", "amount > 0")
@dp.expect("has_customer", "customer IS NOT NULL")
def orders():
    return spark.read.table("raw_orders")


@dp.temporary_view
def large_orders():
    return spark.read.table("orders").where("amount > 6")


dp.create_streaming_table("order_ids")


@dp.append_flow(target="order_ids")
def ids_from_raw_orders():
    return spark.readStream.table("raw_orders").select("id")
'''

LANDED = '''{"id": 1, "customer": "ann", "amount": 10.0}
{"id": 2, "amount": 5.0}
{"id": 3, "customer": "cy", "amount": -1.0}
{"id": 4, "customer": "ann", "amount": 7.0}
'''

TOTALS_SQL = '''
-- reads the Python sources' datasets; runs after them whatever the file order
CREATE MATERIALIZED VIEW customer_totals (
  CONSTRAINT known_customer EXPECT (customer IS NOT NULL) ON VIOLATION DROP ROW
) COMMENT 'per customer' AS
SELECT customer, SUM(amount) AS total FROM orders GROUP BY customer;

CREATE OR REFRESH STREAMING TABLE large_order_stream AS SELECT id, amount FROM STREAM(raw_orders) WHERE amount > 6;

CREATE MATERIALIZED VIEW large_count AS SELECT COUNT(*) AS n FROM large_orders;
'''

READ_TABLES_PY = '''
import json, os, sys
from bundleops.testrunner.spark import local_session
spark = local_session()
root = os.path.join(os.path.dirname(os.environ["BUNDLEOPS_LOCAL_VOLUMES_ROOT"]), "warehouse", sys.argv[1], sys.argv[2] + ".db")
tables = {name: sorted(map(list, spark.read.parquet(os.path.join(root, name)).collect())) for name in sorted(os.listdir(root))}
print("TABLES " + json.dumps(tables))
'''


@pytest.fixture(scope="module")
def local_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from bundleops.localworkspace import LocalWorkspace

    with LocalWorkspace(tmp_path_factory.mktemp("pipeline-updates")) as workspace:
        yield workspace


def _pipeline(client: Any, name: str, schema: str, sources: dict[str, str]) -> str:
    """Sources uploaded under /Workspace/Shared/<name>/transformations/ beside a helper module in
    utilities/, the orders landed in the volume main.<schema>.landing, and a pipeline over them (a
    glob library, the folder as its root_path) that is told where they are; its id."""
    import io

    from databricks.sdk.service.catalog import VolumeType
    from databricks.sdk.service.pipelines import PathPattern, PipelineLibrary

    for file, text in sources.items():
        upload(client, f"/Workspace/Shared/{name}/transformations/{file}", text)
    upload(client, f"/Workspace/Shared/{name}/utilities/schemas.py", 'ORDERS = "id INT, customer STRING, amount DOUBLE"\n')
    client.schemas.create(name=schema, catalog_name="main")
    client.volumes.create("main", schema, "landing", VolumeType.MANAGED)
    client.files.upload(f"/Volumes/main/{schema}/landing/orders.json", io.BytesIO(LANDED.encode()))
    return client.pipelines.create(name=name, catalog="main", schema=schema, configuration={"landing": f"/Volumes/main/{schema}/landing"},
                                   root_path=f"/Workspace/Shared/{name}",
                                   libraries=[PipelineLibrary(glob=PathPattern(include=f"/Workspace/Shared/{name}/transformations/**"))]).pipeline_id


def _wait(client: Any, pipeline_id: str, update_id: str, states: tuple[str, ...] = ("COMPLETED", "FAILED", "CANCELED")) -> Any:
    """Poll get_update as a client does, until the update is in one of `states` (by default: it ended)."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        update = client.pipelines.get_update(pipeline_id, update_id).update
        if update.state.value in states:
            return update
        time.sleep(0.2)
    raise AssertionError(f"update {update_id} did not reach {states}")


def _events(client: Any, pipeline_id: str) -> list[dict[str, Any]]:
    """The event log oldest first, raw (databricks-sdk's PipelineEvent has no `details`)."""
    return client.api_client.do("GET", f"/api/2.0/pipelines/{pipeline_id}/events", query={"order_by": "timestamp asc", "max_results": 250})["events"]


def test_an_update_runs_python_and_sql_sources_into_the_catalog_with_expectations(client: Any) -> None:
    pipeline_id = _pipeline(client, "sales_etl", "sales", {"orders.py": ORDERS_PY, "totals.sql": TOTALS_SQL})
    update_id = client.pipelines.start_update(pipeline_id).update_id
    update = _wait(client, pipeline_id, update_id)
    events = _events(client, pipeline_id)
    assert update.state.value == "COMPLETED", [e.get("error") for e in events if e["level"] == "ERROR"]
    assert [e["details"]["update_progress"]["state"] for e in events if e["event_type"] == "update_progress"] == [
        "INITIALIZING", "SETTING_UP_TABLES", "RUNNING", "COMPLETED"]
    assert [t.full_name for t in client.tables.list("main", "sales")] == [
        "main.sales.customer_totals", "main.sales.large_count", "main.sales.large_order_stream", "main.sales.order_ids", "main.sales.orders",
        "main.sales.raw_orders"]
    statuses = [e["details"]["flow_progress"]["status"] for e in events if e["event_type"] == "flow_progress" and e["origin"]["flow_name"] == "orders"]
    assert statuses == ["QUEUED", "STARTING", "RUNNING", "COMPLETED"]
    done = {e["origin"]["flow_name"]: e["details"]["flow_progress"] for e in events
            if e["event_type"] == "flow_progress" and e["details"]["flow_progress"]["status"] == "COMPLETED"}
    assert done["orders"]["metrics"] == {"num_output_rows": 3}
    assert done["orders"]["data_quality"] == {"dropped_records": 1, "expectations": [
        {"name": "positive_amount", "dataset": "main.sales.orders", "passed_records": 3, "failed_records": 1},
        {"name": "has_customer", "dataset": "main.sales.orders", "passed_records": 3, "failed_records": 1}]}
    assert done["customer_totals"]["data_quality"]["expectations"] == [
        {"name": "known_customer", "dataset": "main.sales.customer_totals", "passed_records": 1, "failed_records": 1}]
    assert {name: done[name]["metrics"]["num_output_rows"] for name in ("raw_orders", "customer_totals", "large_order_stream", "ids_from_raw_orders", "large_count")} == {
        "raw_orders": 4, "customer_totals": 1, "large_order_stream": 2, "ids_from_raw_orders": 4, "large_count": 1}
    assert "large_orders" in done and "metrics" not in done["large_orders"]  # a temporary view writes no table
    client.pipelines.delete(pipeline_id)  # drops the pipeline's tables, as for a Unity Catalog pipeline; the volume stays
    assert (list(client.tables.list("main", "sales")), [v.name for v in client.volumes.list("main", "sales")]) == ([], ["landing"])


def test_expect_or_fail_fails_the_update_naming_the_expectation_and_table(client: Any) -> None:
    source = '''
import dlt  # Databricks' former name of the module works too


@dlt.table(name="payments")
@dlt.expect_or_fail("valid_id", "id IS NOT NULL")
def payments_query():
    return spark.sql("SELECT * FROM VALUES (1), (NULL) AS t(id)")
'''
    pipeline_id = _pipeline(client, "payments_etl", "finance", {"payments.py": source})
    update = _wait(client, pipeline_id, client.pipelines.start_update(pipeline_id).update_id)
    assert update.state.value == "FAILED"
    failed = [e for e in _events(client, pipeline_id) if e["level"] == "ERROR"]
    flow, last = failed[0], failed[-1]
    assert (flow["event_type"], flow["origin"]["flow_name"], flow["details"]["flow_progress"]["status"]) == ("flow_progress", "payments", "FAILED")
    message = last["error"]["exceptions"][0]["message"]
    assert "expectation 'valid_id'" in message and "main.finance.payments" in message and "1 of 2 record(s)" in message
    assert list(client.tables.list("main", "finance")) == []  # nothing written


def test_auto_cdc_is_refused_by_name(client: Any) -> None:
    source = '''
from pyspark import pipelines as dp

dp.create_streaming_table("customers")
dp.create_auto_cdc_flow(target="customers", source="customer_changes", keys=["id"], sequence_by="ts")
'''
    pipeline_id = _pipeline(client, "cdc_etl", "crm", {"cdc.py": source})
    update = _wait(client, pipeline_id, client.pipelines.start_update(pipeline_id).update_id)
    error = [e for e in _events(client, pipeline_id) if e["level"] == "ERROR"][-1]["error"]["exceptions"][0]["message"]
    assert (update.state.value, error) == (
        "FAILED", "/Workspace/Shared/cdc_etl/transformations/cdc.py: the AUTO CDC flow into customers (dp.create_auto_cdc_flow) is not supported by the local workspace")


def test_a_job_pipeline_task_runs_the_update_and_the_next_task_reads_its_tables(client: Any) -> None:
    pipeline_id = _pipeline(client, "nightly_etl", "nightly", {"orders.py": ORDERS_PY, "totals.sql": TOTALS_SQL})
    upload(client, "/Workspace/Shared/readers/read_tables.py", READ_TABLES_PY)
    job_id = create_job(client, [
        {"task_key": "refresh", "pipeline_task": {"pipeline_id": pipeline_id, "full_refresh": True}},
        {"task_key": "read", "depends_on": [{"task_key": "refresh"}],
         "spark_python_task": {"python_file": "/Workspace/Shared/readers/read_tables.py", "parameters": ["main", "nightly"]}},
    ], name="nightly")
    run = client.jobs.run_now_and_wait(job_id)
    assert (run.state.result_state.value, [t.state.result_state.value for t in run.tasks]) == ("SUCCESS", ["SUCCESS", "SUCCESS"]), run.state.state_message
    update = client.pipelines.get(pipeline_id).latest_updates[0]
    assert (update.state.value, client.pipelines.get_update(pipeline_id, update.update_id).update.cause.value,
            client.pipelines.get_update(pipeline_id, update.update_id).update.full_refresh) == ("COMPLETED", "JOB_TASK", True)
    logs = client.jobs.get_run_output(run.tasks[1].run_id).logs
    tables = json.loads(next(line for line in logs.splitlines() if line.startswith("TABLES "))[len("TABLES "):])
    assert tables == {
        "customer_totals": [["ann", 17.0]],
        "large_count": [[2]],
        "large_order_stream": [[1, 10.0], [4, 7.0]],
        "order_ids": [[1], [2], [3], [4]],
        "orders": [[1, "ann", 10.0], [2, None, 5.0], [4, "ann", 7.0]],
        "raw_orders": [[1, "ann", 10.0], [2, None, 5.0], [3, "cy", -1.0], [4, "ann", 7.0]],
    }


def test_validate_only_analyses_every_flow_and_writes_nothing(client: Any) -> None:
    source = '''
CREATE MATERIALIZED VIEW fine AS SELECT id FROM range(3);
CREATE MATERIALIZED VIEW broken AS SELECT no_such_column FROM fine;
'''
    pipeline_id = _pipeline(client, "checked_etl", "checked", {"checked.sql": source})
    update = _wait(client, pipeline_id, client.pipelines.start_update(pipeline_id, validate_only=True).update_id)
    error = [e for e in _events(client, pipeline_id) if e["level"] == "ERROR"][-1]["error"]["exceptions"][0]["message"]
    assert (update.state.value, update.validate_only) == ("FAILED", True)
    assert "UNRESOLVED_COLUMN" in error and "no_such_column" in error
    assert list(client.tables.list("main", "checked")) == []


def test_stop_cancels_a_running_update(client: Any) -> None:
    source = '''
import time
from pyspark import pipelines as dp


@dp.materialized_view
def never_ready():
    while True:  # a query that never returns: the update runs until it is stopped
        time.sleep(0.2)
'''
    pipeline_id = _pipeline(client, "endless_etl", "endless", {"endless.py": source})
    update_id = client.pipelines.start_update(pipeline_id).update_id
    _wait(client, pipeline_id, update_id, ("RUNNING",))
    assert client.pipelines.stop_and_wait(pipeline_id).state.value == "IDLE"
    assert client.pipelines.get_update(pipeline_id, update_id).update.state.value == "CANCELED"
