"""`bundleops quality-gate` against the loopback SonarQube stand-in: every exit code, real HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bundleops.errors import BundleopsError, ExitCode
from bundleops.quality_gate.gate import Deadline, SonarClient, read_report_task, wait_for_analysis
from tests.support.console import run_bundleops
from tests.support.sonar_standin import SonarStandIn

FAST = ["--poll-interval", "0.05", "--timeout", "20"]
CONDITIONS = [
    {"status": "ERROR", "metricKey": "new_coverage", "comparator": "LT", "errorThreshold": "80", "actualValue": "42.5"},
    {"status": "OK", "metricKey": "new_duplicated_lines_density", "comparator": "GT", "errorThreshold": "3", "actualValue": "0.0"},
]


@pytest.fixture
def sonar() -> SonarStandIn:
    with SonarStandIn() as standin:
        yield standin


def gate(project: Path, sonar: SonarStandIn, *args: str, token: str | None = None) -> "subprocess.CompletedProcess[str]":  # noqa: F821
    return run_bundleops(["quality-gate", "--project-root", str(project), *args], env={"SONAR_TOKEN": token or sonar.token}, cwd=project)


def test_gate_ok_exits_0_after_polling_the_task(sonar: SonarStandIn, tmp_path: Path) -> None:
    sonar.add_analysis("T1", "OK")
    sonar.write_report_task(tmp_path / ".scannerwork", "T1")
    result = gate(tmp_path, sonar, *FAST)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "quality gate OK: passes" in result.stdout
    polls = [r for r in sonar.requests if r.startswith("GET /api/ce/task?id=T1")]
    assert len(polls) == 3  # PENDING, IN_PROGRESS, SUCCESS
    assert sonar.requests[-1] == "GET /api/qualitygates/project_status?analysisId=analysis-T1"
    assert sonar.token not in result.stdout + result.stderr


def test_gate_error_exits_1_and_prints_the_failing_conditions(sonar: SonarStandIn, tmp_path: Path) -> None:
    sonar.add_analysis("T2", "ERROR", CONDITIONS)
    task = sonar.write_report_task(tmp_path / "elsewhere", "T2")
    result = gate(tmp_path, sonar, "--report-task", str(task), *FAST)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "quality gate condition ERROR: new_coverage = 42.5 (fails when < 80)" in result.stderr
    assert "new_duplicated_lines_density" not in result.stdout + result.stderr  # passing conditions stay quiet
    assert "quality gate ERROR: fails the pipeline" in result.stdout
    summary = (tmp_path / "test-results/bundleops-summary.md").read_text()
    assert "## SonarQube quality gate: ERROR" in summary and "- **ERROR** new_coverage = 42.5 (fails when < 80)" in summary


def test_warn_passes_unless_configured_to_fail(sonar: SonarStandIn, tmp_path: Path) -> None:
    warn = [{**CONDITIONS[0], "status": "WARN", "warningThreshold": "90"}]
    sonar.add_analysis("T3", "WARN", warn)
    task = sonar.write_report_task(tmp_path / ".scannerwork", "T3")
    result = gate(tmp_path, sonar, *FAST)
    assert result.returncode == 0 and "WARNING: quality gate condition WARN" in result.stderr
    (tmp_path / "bundleops.yml").write_text("sonar:\n  fail_on: [ERROR, WARN]\n")
    sonar.tasks["T3"].polls = 0
    result = gate(tmp_path, sonar, "--report-task", str(task), *FAST)
    assert result.returncode == 1 and "quality gate WARN: fails the pipeline" in result.stdout


def test_timeout_exits_3(sonar: SonarStandIn, tmp_path: Path) -> None:
    sonar.add_analysis("T4", "OK", statuses=["PENDING", "IN_PROGRESS"])
    sonar.write_report_task(tmp_path / ".scannerwork", "T4")
    # 2 s, not less: --timeout is a hard limit, and the first request must get its answer on a busy machine
    result = gate(tmp_path, sonar, "--poll-interval", "0.05", "--timeout", "2")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "analysis task T4 still IN_PROGRESS after 2s; --timeout 2s ran out" in result.stderr


class PauseOverrunsTheDeadline(Deadline):
    """A deadline that runs out during the pause between two polls, as on a busy machine."""

    def __init__(self) -> None:
        super().__init__(2)
        self.asked = 0

    def remaining(self) -> float:
        self.asked += 1
        return 1.0 if self.asked <= 2 else 0.0  # the first request and the check before its pause see time left


def test_a_pause_that_overruns_the_timeout_still_names_the_tasks_last_status(sonar: SonarStandIn, tmp_path: Path) -> None:
    sonar.add_analysis("T7", "OK", statuses=["IN_PROGRESS"])
    task = read_report_task(sonar.write_report_task(tmp_path / ".scannerwork", "T7"), tmp_path)
    with pytest.raises(BundleopsError) as raised:
        wait_for_analysis(SonarClient(task.server_url, sonar.token, PauseOverrunsTheDeadline()), task, poll=0.01)
    assert str(raised.value).startswith("analysis task T7 still IN_PROGRESS after 2s; --timeout 2s ran out")
    assert raised.value.code == ExitCode.EXTERNAL_FAILURE


def test_failed_analysis_exits_3_with_the_server_message(sonar: SonarStandIn, tmp_path: Path) -> None:
    sonar.add_analysis("T5", "OK", statuses=["PENDING", "FAILED"], error_message="Unsupported language plugin")
    sonar.write_report_task(tmp_path / ".scannerwork", "T5")
    result = gate(tmp_path, sonar, *FAST)
    assert result.returncode == 3
    assert "could not process analysis task T5: FAILED (Unsupported language plugin)" in result.stderr


def test_bad_token_exits_2(sonar: SonarStandIn, tmp_path: Path) -> None:
    sonar.add_analysis("T6", "OK")
    sonar.write_report_task(tmp_path / ".scannerwork", "T6")
    result = gate(tmp_path, sonar, *FAST, token="squ_wrong")
    assert result.returncode == 2
    assert "refused the token (HTTP 401 on api/ce/task)" in result.stderr and "squ_wrong" not in result.stderr


def test_unknown_task_exits_2_with_the_server_message(sonar: SonarStandIn, tmp_path: Path) -> None:
    sonar.write_report_task(tmp_path / ".scannerwork", "NOPE")
    result = gate(tmp_path, sonar, *FAST)
    assert result.returncode == 2
    assert "HTTP 404: No activity found for task 'NOPE'" in result.stderr


def test_bad_url_and_missing_inputs_exit_2(sonar: SonarStandIn, tmp_path: Path) -> None:
    result = gate(tmp_path, sonar, *FAST)
    assert result.returncode == 2 and "no report-task.txt" in result.stderr
    task = tmp_path / "report-task.txt"
    task.write_text("ceTaskId=T\nserverUrl=sonar.example.com\n")
    result = gate(tmp_path, sonar, "--report-task", str(task))
    assert result.returncode == 2 and "is not an http(s) URL" in result.stderr
    task.write_text(f"ceTaskId=T\nserverUrl={sonar.url}/not-sonar\n")
    result = gate(tmp_path, sonar, "--report-task", str(task))
    assert result.returncode == 2 and "HTTP 501" in result.stderr  # the stand-in refuses paths it does not model
    result = run_bundleops(["quality-gate", "--report-task", str(task)], cwd=tmp_path)
    assert result.returncode == 2 and "SONAR_TOKEN is not set" in result.stderr


def test_standin_fails_loudly_on_what_it_does_not_model(sonar: SonarStandIn) -> None:
    request = urllib.request.Request(f"{sonar.url}/api/server/version", headers={"Authorization": f"Bearer {sonar.token}"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 501
    assert json.loads(caught.value.read())["errors"][0]["msg"] == "SonarQube stand-in does not implement GET /api/server/version"


def test_misspelt_fail_on_is_refused_before_polling(sonar: SonarStandIn, tmp_path: Path) -> None:
    sonar.add_analysis("T7", "ERROR", CONDITIONS)
    sonar.write_report_task(tmp_path / ".scannerwork", "T7")
    (tmp_path / "bundleops.yml").write_text("sonar:\n  fail_on: [ERRROR]\n")
    result = gate(tmp_path, sonar, *FAST)
    assert result.returncode == 2
    assert "sonar.fail_on: unknown quality-gate status ERRROR" in result.stderr and sonar.requests == []


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_briefly_unavailable_server_is_retried(sonar: SonarStandIn, tmp_path: Path, status: int) -> None:
    sonar.add_analysis("T8", "OK")
    sonar.write_report_task(tmp_path / ".scannerwork", "T8")
    sonar.unavailable, sonar.unavailable_status = 2, status
    result = gate(tmp_path, sonar, *FAST)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(sonar.requests) == 2 + 3 + 1  # two 503s, three task polls, the gate


def test_a_server_that_stays_unavailable_exits_3(sonar: SonarStandIn, tmp_path: Path) -> None:
    sonar.add_analysis("T9", "OK")
    sonar.write_report_task(tmp_path / ".scannerwork", "T9")
    sonar.unavailable = 10
    result = gate(tmp_path, sonar, *FAST)
    assert result.returncode == 3
    assert "SonarQube api/ce/task answered HTTP 503, 5 times" in result.stderr and len(sonar.requests) == 5
