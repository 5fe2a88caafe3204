"""SonarQube failing: a stalled server, outages, unexpected JSON, through the real console script.

Each case asserts the exit code, the named error, that no traceback was printed, and that the
step ended within its time limit (the bound adds the interpreter's start-up and, for the
scanner, the grace period between SIGTERM and SIGKILL).
"""

from __future__ import annotations

import re
import shutil
import socket
import time
from pathlib import Path

import pytest

from bundleops.child import STOP_GRACE_SECONDS
from tests.publish.test_publish_cli import reported  # noqa: F401 - the module fixture: a project with reports
from tests.publish.test_sonar import NO_NETWORK
from tests.support.console import run_bundleops
from tests.support.sonar_standin import SonarStandIn

START_UP = 10.0  # seconds a `bundleops` process may need to start and report on this shared machine


@pytest.fixture
def sonar() -> SonarStandIn:
    with SonarStandIn() as standin:
        yield standin


def timed(args: list[str], **kwargs: object) -> tuple["subprocess.CompletedProcess[str]", float]:  # noqa: F821
    started = time.monotonic()
    result = run_bundleops(args, **kwargs)  # type: ignore[arg-type]
    return result, time.monotonic() - started


def gate(project: Path, sonar: SonarStandIn, *args: str) -> tuple["subprocess.CompletedProcess[str]", float]:  # noqa: F821
    return timed(["quality-gate", "--project-root", str(project), "--poll-interval", "0.05", *args], env={"SONAR_TOKEN": sonar.token}, cwd=project)


def test_a_stalled_server_ends_the_gate_at_its_timeout(sonar: SonarStandIn, tmp_path: Path) -> None:
    """The request in flight is cut off at --timeout: a read time-out, named, exit 3."""
    sonar.add_analysis("S1", "OK")
    sonar.write_report_task(tmp_path / ".scannerwork", "S1")
    sonar.stall_seconds = 120
    result, elapsed = gate(tmp_path, sonar, "--timeout", "2")
    assert result.returncode == 3, result.stdout + result.stderr
    assert re.search(r"SonarQube api/ce/task did not answer within [\d.]+s \(read time-out\); --timeout 2s ran out", result.stderr), result.stderr
    assert "Traceback" not in result.stderr
    assert elapsed < 2 + START_UP
    assert len(sonar.requests) == 1


def test_a_server_that_stalls_after_answering_still_ends_at_the_timeout(sonar: SonarStandIn, tmp_path: Path) -> None:
    """Polls answer, then the gate request stalls: the same hard limit."""
    sonar.add_analysis("S2", "OK", statuses=["PENDING", "SUCCESS"])
    sonar.write_report_task(tmp_path / ".scannerwork", "S2")
    sonar.on_request = lambda request: setattr(sonar, "stall_seconds", 120) if "project_status" in request else None
    result, elapsed = gate(tmp_path, sonar, "--timeout", "5")
    assert result.returncode == 3, result.stdout + result.stderr
    assert "SonarQube api/qualitygates/project_status did not answer within" in result.stderr and "--timeout 5s ran out" in result.stderr
    assert elapsed < 5 + START_UP


def test_an_unreachable_server_is_retried_with_backoff_then_named(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    task = tmp_path / "report-task.txt"
    task.write_text(f"ceTaskId=S3\nserverUrl=http://127.0.0.1:{port}\n")
    result, elapsed = timed(["quality-gate", "--report-task", str(task), "--poll-interval", "0.05", "--timeout", "20"], env={"SONAR_TOKEN": "squ_x"}, cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"SonarQube api/ce/task cannot be reached at http://127.0.0.1:{port} (ConnectionError), 5 times" in result.stderr
    assert "Traceback" not in result.stderr
    assert 0.05 + 0.1 + 0.2 + 0.4 <= elapsed < 20  # four back-offs, doubling


def test_an_outage_longer_than_the_timeout_stops_retrying_at_it(sonar: SonarStandIn, tmp_path: Path) -> None:
    sonar.add_analysis("S4", "OK")
    sonar.write_report_task(tmp_path / ".scannerwork", "S4")
    sonar.unavailable, sonar.unavailable_status = 100, 502
    result, elapsed = timed(["quality-gate", "--project-root", str(tmp_path), "--poll-interval", "1", "--timeout", "2.5"], env={"SONAR_TOKEN": sonar.token}, cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "SonarQube api/ce/task answered HTTP 502; --timeout 2.5s ran out" in result.stderr
    assert 1 < len(sonar.requests) < 5  # retried (back-off 1 s, then 2 s), but stopped by the limit, not by the 5 tries
    assert elapsed < 2.5 + START_UP


@pytest.mark.parametrize(("path", "body", "message"), [
    ("/api/ce/task", [], "the answer is [], expected a JSON object"),
    ("/api/ce/task", {"task": "SUCCESS"}, 'task is "SUCCESS", expected a JSON object'),
    ("/api/ce/task", {"task": {"status": 3}}, "task.status is 3, expected a non-empty string"),
    ("/api/ce/task", {"task": {"status": "DONE"}}, 'task.status is "DONE", expected one of PENDING, IN_PROGRESS, SUCCESS, FAILED, CANCELED'),
    ("/api/ce/task", {"task": {"status": "SUCCESS"}}, "task.analysisId of a SUCCESS task is missing, expected a non-empty string"),
    ("/api/qualitygates/project_status", {"projectStatus": "OK"}, 'projectStatus is "OK", expected a JSON object'),
    ("/api/qualitygates/project_status", {"projectStatus": {"status": "OK", "conditions": {}}}, "projectStatus.conditions is {}, expected a JSON array"),
    ("/api/qualitygates/project_status", {"projectStatus": {"status": "ERROR", "conditions": ["new_coverage"]}}, 'a condition is "new_coverage", expected a JSON object'),
    ("/api/qualitygates/project_status", {"projectStatus": {"conditions": []}}, "projectStatus.status is missing, expected a non-empty string"),
])
def test_an_unexpected_json_shape_is_a_named_error(sonar: SonarStandIn, tmp_path: Path, path: str, body: object, message: str) -> None:
    sonar.add_analysis("S5", "OK", statuses=["SUCCESS"])
    sonar.write_report_task(tmp_path / ".scannerwork", "S5")
    sonar.unexpected[path] = body
    result, _ = gate(tmp_path, sonar, "--timeout", "20")
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"SonarQube {path.lstrip('/')} answered an unexpected JSON shape: {message}" in result.stderr
    assert "fix: check that serverUrl in report-task.txt is the SonarQube server" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_answer_that_is_not_json_is_a_named_error(sonar: SonarStandIn, tmp_path: Path) -> None:
    sonar.add_analysis("S6", "OK")
    sonar.write_report_task(tmp_path / ".scannerwork", "S6")
    sonar.unexpected["/api/ce/task"] = b"<html>Proxy login</html>"
    result, _ = gate(tmp_path, sonar, "--timeout", "20")
    assert result.returncode == 2 and "did not answer JSON: not a SonarQube Web API" in result.stderr  # a wrong URL, as before
    assert "Traceback" not in result.stderr


def scanner_processes(server_url: str) -> list[str]:
    """Processes still running with this server in their environment (pysonar and anything it started)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"SONAR_HOST_URL={server_url}".encode() in environ.read_bytes():
                found.append((environ.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace"))
        except OSError:  # ended meanwhile, or not ours
            continue
    return found


def test_publish_stops_a_scanner_stuck_on_a_stalled_server(reported: Path, sonar: SonarStandIn, tmp_path: Path) -> None:  # noqa: F811
    """pysonar has no network time-out: at --sonar-timeout it and its process group are stopped, exit 3."""
    project = Path(shutil.copytree(reported, tmp_path / "repo"))
    sonar.stall_seconds = 300
    env = {**NO_NETWORK, "NO_PROXY": "127.0.0.1", "SONAR_HOST_URL": sonar.url, "SONAR_TOKEN": sonar.token, "SONAR_USER_HOME": str(tmp_path / "home")}
    result, elapsed = timed(["publish", "--sonar", "--sonar-timeout", "4"], env=env, cwd=project, timeout=120)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "the SonarQube scanner (pysonar) did not finish within 4s: stopped it and every process it started" in result.stderr
    assert f"is {sonar.url} answering?" in result.stderr and "sonar.scanner_timeout_seconds" in result.stderr
    assert "Traceback" not in result.stderr
    assert sonar.requests, "pysonar never reached the stand-in"
    assert elapsed < 4 + STOP_GRACE_SECONDS + START_UP
    assert scanner_processes(sonar.url) == []


def test_the_scanner_limit_comes_from_bundleops_yml(reported: Path, sonar: SonarStandIn, tmp_path: Path) -> None:  # noqa: F811
    project = Path(shutil.copytree(reported, tmp_path / "repo"))
    (project / "bundleops.yml").write_text("sonar:\n  scanner_timeout_seconds: 2\n")
    sonar.stall_seconds = 300
    env = {**NO_NETWORK, "NO_PROXY": "127.0.0.1", "SONAR_HOST_URL": sonar.url, "SONAR_TOKEN": sonar.token, "SONAR_USER_HOME": str(tmp_path / "home")}
    result, elapsed = timed(["publish", "--sonar"], env=env, cwd=project, timeout=120)
    assert result.returncode == 3 and "did not finish within 2s" in result.stderr, result.stdout + result.stderr
    assert elapsed < 2 + STOP_GRACE_SECONDS + START_UP
    (project / "bundleops.yml").write_text("sonar:\n  scanner_timeout_seconds: 0\n")
    result = run_bundleops(["publish", "--sonar"], env=env, cwd=project)
    assert result.returncode == 2 and "sonar.scanner_timeout_seconds is 0, outside the allowed range" in result.stderr, result.stderr
