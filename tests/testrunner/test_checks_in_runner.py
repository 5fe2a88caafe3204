"""Output checks through the runner on local Spark: JUnit cases named after table and check, after the tests."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from bundleops.errors import BundleopsError
from bundleops.testrunner import cli, runner
from bundleops.testrunner.local import run_local_project

pytestmark = pytest.mark.spark

FAILING_CHECK = """
  orders:
    columns:
      customer_id: {relationships: {to: customers}}
"""
TEST_IN_CODE = '''
def test_statuses_in_code(check_table):
    check_table("orders", {"columns": {"status": {"accepted_values": ["completed", "shipped"]}}})


def test_customers_in_code(check_table):
    check_table("customers", {"columns": {"customer_id": {"unique": True, "not_null": True}}})
'''


def _cases(junit):
    return list(ET.parse(junit).getroot().iter("testcase"))


def test_checks_are_cases_after_the_tests_passing_ones_say_what_they_checked(local_spark, example_copy, tmp_path):
    integration = example_copy / "tests/integration"
    (integration / "checks.yml").write_text((integration / "checks.yml").read_text() + FAILING_CHECK)
    (integration / "test_in_code.py").write_text(TEST_IN_CODE)
    reports = tmp_path / "reports"

    assert run_local_project(example_copy, reports, spark=local_spark) == 1
    cases = {case.get("name"): case for case in _cases(reports / "junit.xml")}
    names = list(cases)
    assert names.index("daily_revenue: row_count_ratio") > names.index("test_run_writes_the_daily_revenue_table"), "checks read what the tests wrote"

    unique = cases["daily_revenue.(order_date, country): unique"]
    assert unique.find("failure") is None
    assert unique.find("properties/property").attrib == {
        "name": "checked", "value": "checked each value of (order_date, country) on one row only: all 4 distinct values of (order_date, country) pass",
    }
    assert cases["orders.customer_id: relationships"].find("properties") is None, "a failure says it once, in the failure"
    failed = cases["orders.customer_id: relationships"].find("failure")
    assert failed.get("message").startswith("orders.customer_id: relationships: 1 of 7 rows fail: expected customer_id found in customers.customer_id, or NULL")
    assert "order_id=6, customer_id='c9'" in failed.get("message")

    in_code = cases["test_statuses_in_code"].find("failure").get("message")
    assert "orders.status: accepted_values: 3 of 7 rows fail" in in_code and "status='Completed'" in in_code
    assert cases["test_customers_in_code"].find("failure") is None
    mock_data = next(p.get("value") for p in ET.parse(reports / "junit.xml").getroot().iter("property") if p.get("name").endswith(runner.PHASE_MOCK_DATA))
    assert "9 output checks in tests/integration/checks.yml;" in mock_data
    failures = sorted(name for name, case in cases.items() if case.find("failure") is not None)
    assert failures == ["orders.customer_id: relationships", "test_statuses_in_code"]


def test_a_mistake_in_checks_yml_is_bad_input_before_any_schema_exists(local_spark, example_copy, tmp_path):
    (example_copy / "tests/integration/checks.yml").write_text("tables:\n  daily_revenue:\n    columns:\n      country: {not_nul: true}\n")
    reports = tmp_path / "reports"

    assert run_local_project(example_copy, reports, spark=local_spark) == 2
    (case,) = _cases(reports / "junit.xml")
    assert case.get("name") == runner.PHASE_MOCK_DATA
    message = case.find("failure").get("message")
    assert f"{example_copy}/tests/integration/checks.yml:4: table 'daily_revenue', column 'country': unknown column check 'not_nul'" in message
    assert "did you mean `not_null`?" in case.find("system-out").text


def test_output_schema_points_checks_yml_at_the_tables_a_pipeline_wrote(local_spark, example_copy, tmp_path):
    """A pipeline writes into its deployment's schema, not the run's temporary one: `--output-schema`
    (the test job passes `${resources.schemas.x.name}`) is where checks.yml's bare names are."""
    local_spark.sql("CREATE SCHEMA pr_7_orders")
    local_spark.sql("CREATE TABLE pr_7_orders.published AS SELECT * FROM VALUES (1, 'a'), (2, 'b'), (2, 'c') AS t(id, name)")
    integration = example_copy / "tests/integration"
    (integration / "checks.yml").write_text("tables:\n  published:\n    columns:\n      id: {unique: true}\n")
    arguments = ["--catalog", "spark_catalog", "--project-root", str(example_copy), "--report-folder", str(tmp_path / "reports")]

    assert runner.run(cli.options([*arguments, "--output-schema", "pr_7_orders"]), spark=local_spark) == 1
    failed = {case.get("name"): case for case in _cases(tmp_path / "reports" / "junit.xml")}["published.id: unique"].find("failure")
    assert failed.get("message").startswith("published.id: unique: 1 of 2 distinct values of (id) fail") and "id=2" in failed.get("message"), failed.get("message")

    assert runner.run(cli.options(arguments), spark=local_spark) == 1  # the run's own schema has no such table
    missing = {case.get("name"): case for case in _cases(tmp_path / "reports" / "junit.xml")}["published.id: unique"].find("failure")
    assert "published" in missing.get("message") and "id=2" not in missing.get("message")


def test_output_schema_must_be_a_plain_name():
    with pytest.raises(BundleopsError, match=r"--output-schema 'pr-7\.x' is not a plain name"):
        cli.options(["--catalog", "main", "--report-folder", "/tmp/r", "--output-schema", "pr-7.x"])


def test_in_a_local_workspace_task_the_output_schema_is_what_the_pipeline_wrote(local_spark, example_copy, tmp_path, monkeypatch):
    """A pipeline update of the local workspace wrote Parquet tables into its warehouse
    (`<root>/<catalog>/<schema>.db/<table>`, bundleops.mounts); the runner in the test job's next
    task, a process of its own, finds them there."""
    written = tmp_path / "warehouse" / "staging" / "pr_9_orders.db" / "published"
    local_spark.createDataFrame([(1, "a"), (2, "b")], "id INT, name STRING").write.parquet(str(written))
    monkeypatch.setenv("BUNDLEOPS_LOCAL_WAREHOUSE_ROOT", str(tmp_path / "warehouse"))
    (example_copy / "tests/integration/checks.yml").write_text("tables:\n  published:\n    row_count: {min: 2, max: 2}\n    columns:\n      id: {unique: true}\n")
    options = cli.options(["--catalog", "staging", "--project-root", str(example_copy), "--report-folder", str(tmp_path / "reports"),
                           "--output-schema", "pr_9_orders"])

    assert runner.run(options, spark=local_spark) == 0
    cases = {case.get("name"): case for case in _cases(tmp_path / "reports" / "junit.xml")}
    assert cases["published: row_count"].find("failure") is None and cases["published.id: unique"].find("failure") is None
    mock_data = next(p.get("value") for p in ET.parse(tmp_path / "reports" / "junit.xml").getroot().iter("property") if p.get("name").endswith(runner.PHASE_MOCK_DATA))
    assert f"output schema pr_9_orders: tables published (from {tmp_path / 'warehouse' / 'staging'})" in mock_data
