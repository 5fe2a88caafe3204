"""`bundleops test`: start the deployed test job, wait, fetch reports; failures, timeouts, cancellation."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.steps.project import JOBS, bundleops, shop_project

pytestmark = pytest.mark.integration

REPORTS = ".bundleops/reports/integration"


def deployed(folder: Path, env: dict[str, str], behaviour: str) -> Path:
    project = shop_project(folder, behaviour)
    result = bundleops(["deploy", "--target", "staging"], project, env)
    assert result.returncode == 0, result.stdout + result.stderr
    return project


def _runs(client: Any) -> list[Any]:
    job = next(iter(client.jobs.list(name="shop_test_job")))
    return list(client.jobs.list_runs(job_id=job.job_id))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_passing_tests_bring_the_reports_back(tmp_path: Path, env: dict[str, str], client: Any) -> None:
    project = deployed(tmp_path / "p", env, "pass")
    result = bundleops(["test", "--target", "staging"], project, env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test run" in result.stdout and ": TERMINATED after" in result.stdout
    assert "integration tests passed (2 total, 2 passed, 0 failed, 0 errors, 0 skipped)" in result.stdout
    junit = (project / REPORTS / "junit.xml").read_text()
    assert '<property name="commit" value="unknown"/>' in junit or 'value="' in junit
    assert (project / REPORTS / "coverage.xml").is_file()
    assert [run.state.result_state.value for run in _runs(client)] == ["SUCCESS"]


def test_failing_tests_exit_1_naming_the_failed_test(tmp_path: Path, env: dict[str, str]) -> None:
    project = deployed(tmp_path / "p", env, "fail")
    result = bundleops(["test", "--target", "staging"], project, env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert ("integration tests failed: 2 total, 1 passed, 1 failed, 0 errors, 0 skipped. "
            "Failed: tests.integration.test_shop::test_b: assert 1 == 2") in result.stderr
    # the failed test explains the failed task: its end is logged, not a second error quoting the log
    assert "task integration_tests FAILED: Task integration_tests exited with code 1: fake tests: fail" in result.stdout
    assert "task integration_tests FAILED" not in result.stderr
    assert "fake tests: fail" in result.stdout  # the log tail
    assert "assert 1 == 2" in (project / REPORTS / "junit.xml").read_text()


# The task writes the report as bundleops.testrunner writes it: the runner's phases (the pytest
# phase failed by a failed test) and pytest's suite of three tests, one failing.
RUNNER_SHAPED_TESTS = '''
import sys
from pathlib import Path
from bundleops.errors import ExitCode
from bundleops.mounts import local_path
from bundleops.testrunner.report import PhaseResult, write_junit

folder, commit = sys.argv[1:3]
pytest_xml = Path("pytest.xml")
pytest_xml.write_text(
    '<testsuites><testsuite name="pytest" tests="3" failures="1" errors="0" skipped="0">'
    '<testcase classname="tests.integration.test_orders" name="test_totals"/>'
    '<testcase classname="tests.integration.test_orders" name="test_keys_are_unique"/>'
    '<testcase classname="tests.integration.test_orders" name="test_revenue_is_never_negative">'
    '<failure message="assert -5 &gt;= 0">revenue -5 on 2026-11-01</failure></testcase></testsuite></testsuites>')
phases = [PhaseResult("phase 1: mock data", "passed"), PhaseResult("phase 1: sweep expired schemas", "passed"),
          PhaseResult("phase 2: pytest", "failed", message="integration tests failed", code=ExitCode.CHECK_FAILED, shown_by_tests=True),
          PhaseResult("phase 3: clean-up", "passed", details="dropped spark_catalog.bundleops_test_1")]
report = local_path(folder)
report.mkdir(parents=True, exist_ok=True)
write_junit(phases, pytest_xml, {"commit": commit}, report / "junit.xml")
(report / "coverage.xml").write_text('<coverage line-rate="1.0"><packages/></coverage>')
print("[bundleops.testrunner] phase 3: clean-up: passed")
sys.exit(1)
'''


def test_three_tests_one_failing_are_counted_as_three_everywhere(tmp_path: Path, env: dict[str, str]) -> None:
    """The project's tests are counted, the runner's phases are not: 3 total, 2 passed, 1 failed,
    naming the failed test, on the console, in the summary and in the merged JUnit (issue 20)."""
    project = shop_project(tmp_path / "p", "fail", changes={"src/fake_tests.py": RUNNER_SHAPED_TESTS})
    assert bundleops(["deploy", "--target", "staging"], project, env).returncode == 0
    result = bundleops(["test", "--target", "staging"], project, env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert ("integration tests failed: 3 total, 2 passed, 1 failed, 0 errors, 0 skipped. "
            "Failed: tests.integration.test_orders::test_revenue_is_never_negative: assert -5 >= 0") in result.stderr
    assert "phase 3: clean-up" not in result.stderr, "no error line quotes the runner's last log line"
    summary = (project / "test-results" / "bundleops-summary.md").read_text(encoding="utf-8")
    assert "Integration tests: 3 total, 2 passed, 1 failed, 0 errors, 0 skipped." in summary
    assert "`tests.integration.test_orders::test_revenue_is_never_negative`" in summary

    published = bundleops(["publish"], project, env)
    assert "bundleops tests: 3 total, 2 passed, 1 failed, 0 errors, 0 skipped" in published.stdout, published.stdout + published.stderr
    merged = ET.parse(project / "test-results" / "junit.xml").getroot()
    assert (merged.get("tests"), merged.get("failures")) == ("3", "1")
    assert [case.get("name") for case in merged.iter("testcase") if case.find("failure") is not None] == ["test_revenue_is_never_negative"]


def test_a_broken_run_without_reports_exits_3(tmp_path: Path, env: dict[str, str]) -> None:
    project = deployed(tmp_path / "p", env, "break")
    result = bundleops(["test", "--target", "staging"], project, env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "the test run ended TERMINATED/FAILED" in result.stderr
    assert not (project / REPORTS / "junit.xml").exists()


PREPARE_TASK = """        - task_key: refresh
          spark_python_task:
            python_file: ../src/refresh.py
        - task_key: integration_tests
          depends_on:
            - task_key: refresh
"""


def test_a_task_the_tests_depend_on_that_fails_is_a_failed_test_not_a_broken_run(tmp_path: Path, env: dict[str, str]) -> None:
    """The Lakeflow template's test job refreshes its pipeline before the runner: an expectation that
    fails there ends the runner's task UPSTREAM_FAILED, with no report. That is the project failing
    (exit 1, a failed case every CI shows), not the platform (exit 3, as a runner that crashed is)."""
    jobs = JOBS.replace("BEHAVIOUR", "pass").replace("        - task_key: integration_tests\n", PREPARE_TASK)
    refresh = "raise SystemExit(\"Flow 'daily_revenue' failed to meet the expectation 'non_negative_revenue'\")\n"
    project = shop_project(tmp_path / "p", changes={"resources/jobs.yml": jobs, "src/refresh.py": refresh})
    assert bundleops(["deploy", "--target", "staging"], project, env).returncode == 0
    result = bundleops(["test", "--target", "staging"], project, env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the test job's task refresh failed, so its tests did not run: refresh: " in result.stderr, result.stderr
    assert "failed to meet the expectation 'non_negative_revenue'" in result.stderr
    (case,) = ET.parse(project / REPORTS / "junit.xml").getroot().iter("testcase")
    assert (case.get("classname"), case.get("name")) == ("test job", "task refresh")
    assert "non_negative_revenue" in case.find("failure").get("message")
    published = bundleops(["publish"], project, env)
    assert "bundleops tests: 1 total, 0 passed, 1 failed" in published.stdout, published.stdout + published.stderr


def test_timeout_cancels_the_run_and_its_process(tmp_path: Path, env: dict[str, str], client: Any) -> None:
    project = deployed(tmp_path / "p", env, "hang")
    result = bundleops(["test", "--target", "staging", "--timeout-minutes", "0.05"], project, env)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "timed out after 0:0" in result.stderr and "was cancelled" in result.stderr
    assert [run.state.result_state.value for run in _runs(client)] == ["CANCELED"]
    assert not _pids_alive(tmp_path)


def _pids_alive(tmp_path: Path) -> list[int]:
    return [int(pid.read_text()) for pid in (tmp_path / "local-workspace").rglob("pid") if _alive(int(pid.read_text()))]


def test_sigterm_during_the_wait_cancels_the_remote_run(tmp_path: Path, env: dict[str, str], client: Any) -> None:
    project = deployed(tmp_path / "p", env, "hang")
    process = subprocess.Popen([sys.executable, "-m", "bundleops", "test", "--target", "staging", "--project-root", str(project)],
                               cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list((tmp_path / "local-workspace").rglob("pid")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _pids_alive(tmp_path), "the task never started"
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 3, stdout + stderr
    assert "cancelling test run" in stderr and "this CI job received SIGTERM" in stderr
    assert "cancelled by SIGTERM; the test run" in stderr
    assert [run.state.result_state.value for run in _runs(client)] == ["CANCELED"]
    assert not _pids_alive(tmp_path)


def test_missing_test_job_names_the_job_and_the_fix(tmp_path: Path, env: dict[str, str]) -> None:
    project = shop_project(tmp_path / "p", changes={"resources/jobs.yml": JOBS.replace("shop_test_job", "shop_checks")})
    result = bundleops(["test", "--target", "staging"], project, env)
    assert result.returncode == 2
    assert "the bundle has no job shop_test_job (jobs: shop_checks)" in result.stderr
    assert "name yours in bundleops.yml test.job" in result.stderr


def test_an_undeployed_test_job_says_deploy_first(tmp_path: Path, env: dict[str, str]) -> None:
    result = bundleops(["test", "--target", "staging"], shop_project(tmp_path / "p"), env)
    assert result.returncode == 2
    assert "job shop_test_job is not deployed to staging" in result.stderr and "bundleops deploy --target staging" in result.stderr


def test_a_resent_run_now_with_the_same_token_starts_no_second_run(local_workspace, client: Any, tmp_path: Path, env: dict[str, str]) -> None:  # noqa: ANN001
    deployed(tmp_path / "p", env, "pass")
    job = next(iter(client.jobs.list(name="shop_test_job")))
    first = client.jobs.run_now(job.job_id, idempotency_token="bundleops-same-ci-run")
    again = client.jobs.run_now(job.job_id, idempotency_token="bundleops-same-ci-run")
    assert first.run_id == again.run_id
    first.result()
    assert len(_runs(client)) == 1
