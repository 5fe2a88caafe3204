"""The runner on real local Spark: three phases on the example, and clean-up whatever goes wrong.

All tests share one SparkSession (conftest.local_spark); each run gets its own schema.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bundleops.testrunner import runner, schemas
from bundleops.testrunner.local import run_local_project
from bundleops.testrunner.report import PHASE_PROPERTY

pytestmark = pytest.mark.spark

PHASES = [runner.PHASE_MOCK_DATA, runner.PHASE_SWEEP, runner.PHASE_PYTEST, runner.PHASE_CLEANUP]


def _cases(junit: Path) -> dict[str, str]:
    """Test case name -> outcome (passed/failure/error/skipped) of a JUnit file."""
    outcomes = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        results = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        outcomes[case.get("name")] = results[0] if results else "passed"
    return outcomes


def _phases(junit: Path) -> dict[str, str]:
    """Phase name -> outcome, from the runner suite's properties (phases are not test cases)."""
    properties = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
    return {name[len(PHASE_PROPERTY):]: value.split(" |", 1)[0].split(":", 1)[0] for name, value in properties.items() if name.startswith(PHASE_PROPERTY)}


def _counts(junit: Path) -> tuple[int, int, int]:
    """(tests, failures, errors) of the whole document, as a CI counts them."""
    root = ET.parse(junit).getroot()
    return int(root.get("tests")), int(root.get("failures")), int(root.get("errors"))


def _schema_of(junit: Path) -> str:
    properties = {p.get("name"): p.get("value") for p in ET.parse(junit).getroot().iter("property")}
    return properties["schema"]


def _test_schemas(spark) -> list[str]:
    return [r[0] for r in spark.sql("SHOW SCHEMAS IN spark_catalog LIKE 'bundleops_test_*'").collect()]


def _run(project: Path, reports: Path, spark) -> tuple[int, dict[str, str]]:
    """Run the project; return the exit code and the JUnit outcomes, after checking the run's
    schema is gone and both reports exist (what every run must leave, whatever happened)."""
    code = run_local_project(project, reports, spark=spark)
    assert (reports / "coverage.xml").is_file()
    assert _schema_of(reports / "junit.xml") not in _test_schemas(spark)
    return code, _cases(reports / "junit.xml")


def test_example_runs_three_phases_writes_reports_and_drops_its_schema(local_spark, example_copy, tmp_path):
    reports = tmp_path / "reports"
    code, cases = _run(example_copy, reports, local_spark)

    assert code == 0
    assert _phases(reports / "junit.xml") == dict.fromkeys(PHASES, "passed")
    assert not [name for name in cases if name.startswith("phase")], "phases are not tests"
    assert set(cases.values()) == {"passed"}
    assert _counts(reports / "junit.xml") == (len(cases), 0, 0)
    assert "test_revenue_per_day_and_country" in cases
    schema = _schema_of(reports / "junit.xml")
    assert schema.startswith("bundleops_test_local_")

    coverage = ET.parse(reports / "coverage.xml").getroot()
    files = {c.get("filename"): float(c.get("line-rate")) for c in coverage.iter("class")}
    assert files["src/orders_pipeline/revenue.py"] == 1.0
    assert all(not name.startswith("/") for name in files)
    assert all(not (s.text or "").startswith("/") for s in coverage.iter("source"))
    # the project folder is left as it was: no bytecode, no pytest cache
    assert not list(example_copy.rglob("__pycache__")) and not list(example_copy.rglob(".pytest_cache"))


def test_a_failing_test_still_cleans_up_and_reports(local_spark, example_copy, tmp_path):
    (example_copy / "tests/integration/test_broken.py").write_text(
        "def test_revenue_is_never_negative(spark, table_name):\n"
        "    assert spark.table(table_name('orders')).count() == 0\n"
    )
    reports = tmp_path / "reports"
    code, cases = _run(example_copy, reports, local_spark)

    assert code == 1
    assert cases["test_revenue_is_never_negative"] == "failure"
    assert cases["test_run_writes_the_daily_revenue_table"] == "passed"
    phases = _phases(reports / "junit.xml")
    assert (phases[runner.PHASE_PYTEST], phases[runner.PHASE_CLEANUP]) == ("failed", "passed")
    # one failed test counts once: the pytest phase it failed is not a second failure
    assert runner.PHASE_PYTEST not in cases
    assert _counts(reports / "junit.xml") == (len(cases), 1, 0)


def test_a_crashing_fixture_still_cleans_up_and_reports(local_spark, example_copy, tmp_path):
    (example_copy / "tests/integration/conftest.py").write_text(
        "import pytest\n\n"
        "@pytest.fixture(autouse=True)\n"
        "def broken_setup(spark, schema):\n"
        "    spark.sql(f'CREATE TABLE spark_catalog.{schema}.extra (a INT)')\n"
        "    raise RuntimeError('fixture exploded')\n"
    )
    reports = tmp_path / "reports"
    code, cases = _run(example_copy, reports, local_spark)

    assert code == 1
    assert cases["test_revenue_per_day_and_country"] == "error"
    assert "fixture exploded" in (reports / "junit.xml").read_text()
    assert _phases(reports / "junit.xml")[runner.PHASE_CLEANUP] == "passed"


def test_a_value_that_does_not_cast_fails_mock_data_and_still_drops_the_schema(local_spark, example_copy, tmp_path):
    fixture = example_copy / "tests/integration/fixtures/orders.yml"
    fixture.write_text(fixture.read_text().replace('[1, c1, "2026-11-01 09:15:00", "49.99"', '[one, c1, "2026-11-01 09:15:00", "49.99"'))
    reports = tmp_path / "reports"
    code, cases = _run(example_copy, reports, local_spark)

    assert code == 1
    assert cases == {runner.PHASE_MOCK_DATA: "failure"}, "a failed phase no test shows is a case, named as the phase"
    phases = _phases(reports / "junit.xml")
    assert (phases[runner.PHASE_PYTEST], phases[runner.PHASE_CLEANUP]) == ("skipped", "passed")
    text = (reports / "junit.xml").read_text()
    assert "table &apos;orders&apos;" in text or "table 'orders'" in text
    assert "CAST_INVALID_INPUT" in text


def test_a_broken_fixture_file_is_bad_input_before_any_schema_exists(local_spark, example_copy, tmp_path):
    (example_copy / "tests/integration/fixtures/orders.yml").write_text("tables: {orders: {columns: {}}}\n")
    reports = tmp_path / "reports"
    before = _test_schemas(local_spark)
    code, cases = _run(example_copy, reports, local_spark)

    assert code == 2
    assert cases == {runner.PHASE_MOCK_DATA: "failure"}
    assert _phases(reports / "junit.xml") == {
        runner.PHASE_MOCK_DATA: "failed",
        runner.PHASE_SWEEP: "skipped",
        runner.PHASE_PYTEST: "skipped",
        runner.PHASE_CLEANUP: "skipped",
    }
    assert _test_schemas(local_spark) == before
    assert ET.parse(reports / "coverage.xml").getroot().tag == "coverage"


def test_sweep_drops_only_expired_schemas_with_the_prefix(local_spark, example_copy, tmp_path):
    now = datetime.now(timezone.utc)
    expired, fresh, foreign, unmarked = "bundleops_test_killed_1", "bundleops_test_running_2", "other_killed_3", "bundleops_test_manual_4"
    schemas.create(local_spark, "spark_catalog", expired, timedelta(minutes=1), now - timedelta(hours=2))
    schemas.create(local_spark, "spark_catalog", fresh, timedelta(hours=6), now)
    schemas.create(local_spark, "spark_catalog", foreign, timedelta(minutes=1), now - timedelta(hours=2))
    local_spark.sql(f"CREATE SCHEMA spark_catalog.{unmarked}")
    try:
        reports = tmp_path / "reports"
        assert _run(example_copy, reports, local_spark)[0] == 0
        remaining = {r[0] for r in local_spark.sql("SHOW SCHEMAS IN spark_catalog").collect()}
        assert expired not in remaining
        assert {fresh, foreign, unmarked} <= remaining
        assert f"dropped expired schema spark_catalog.{expired}" in (reports / "junit.xml").read_text()
    finally:
        for name in (expired, fresh, foreign, unmarked):
            schemas.drop(local_spark, "spark_catalog", name)
