"""`bundleops run` over a repository of bundles, as real processes in a developer's shell (where
every bundle is planned; their rules plan `unit` and `publish`): each bundle's steps with its own reports,
a failing bundle failing the job after the others finished, the concurrency limit, and a cancel
that leaves no step running."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.faults.stepfaults import alive
from tests.plan.gitrepo import bundle_file, init
from tests.support.console import BIN, clean_environment, run_bundleops

# Each bundle's unit test announces itself in MEETING and waits until every bundle named in
# BUNDLEOPS_TEST_EXPECTED has: it passes only when those bundles' tests run at the same time.
MEETING_TEST = '''
import os, time
from pathlib import Path

def test_meets_the_other_bundles():
    meeting = Path(os.environ["BUNDLEOPS_TEST_MEETING"])
    arriving = meeting.parent / ".{name}"  # written whole, then renamed: a mark never holds half a pid
    arriving.write_text(str(os.getpid()))
    os.replace(arriving, meeting / "{name}")
    expected = set(os.environ["BUNDLEOPS_TEST_EXPECTED"].split())
    deadline = time.monotonic() + float(os.environ["BUNDLEOPS_TEST_WAIT"])
    while not expected <= {{p.name for p in meeting.iterdir()}}:
        assert time.monotonic() < deadline, f"{name} waited alone for " + str(expected)
        time.sleep(0.05)
    assert "{name}" != os.environ.get("BUNDLEOPS_TEST_FAILING")
    assert "SONAR_TOKEN" not in os.environ, "only publish and quality-gate see SonarQube's token"
    assert "SYSTEM_ACCESSTOKEN" not in os.environ, "only preview sees the token that writes pull-request comments"
'''


def repository(tmp_path: Path, names: tuple[str, ...]) -> Path:
    repo = tmp_path / "repo"
    files = {}
    for name in names:
        files[f"bundles/{name}/databricks.yml"] = bundle_file(name)
        files[f"bundles/{name}/bundleops.yml"] = "rules:\n  - name: shell\n    steps: [unit, publish]\n"
        files[f"bundles/{name}/tests/unit/test_{name}.py"] = MEETING_TEST.format(name=name)
    init(repo, files)
    return repo


def environment(tmp_path: Path, expected: str, wait: float, failing: str = "") -> dict[str, str]:
    meeting = tmp_path / "meeting"
    meeting.mkdir(exist_ok=True)
    return {"BUNDLEOPS_TEST_MEETING": str(meeting), "BUNDLEOPS_TEST_EXPECTED": expected, "BUNDLEOPS_TEST_WAIT": str(wait), "BUNDLEOPS_TEST_FAILING": failing}


def test_each_bundle_runs_at_once_with_its_own_reports_and_a_failing_one_fails_the_job(tmp_path: Path) -> None:
    repo = repository(tmp_path, ("billing", "orders"))
    env = {**environment(tmp_path, "billing orders", 60, failing="billing"), "SONAR_TOKEN": "squ_" + "5" * 40, "SYSTEM_ACCESSTOKEN": "azure-build-token-" + "7" * 20}
    result = run_bundleops(["run", "--job", "unit", "--project-root", "."], env=env, cwd=repo, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "bundleops run --job unit: 1 of 2 bundles passed" in result.stdout
    assert "  bundles/billing: failed: unit (exit 1), publish" in result.stdout
    assert "  bundles/orders: passed: unit" in result.stdout, "orders' test found no SONAR_TOKEN"
    assert "1 of 2 bundles failed: bundles/billing" in result.stdout + result.stderr
    # Each bundle's log is one block in its own group: billing's failing assertion is in billing's.
    blocks = {block.split(":", 1)[0]: block for block in result.stdout.split("\n== bundle bundles/")[1:]}
    assert "assert 'billing' != 'billing'" in blocks["billing"] and "test_orders.py ." in blocks["orders"]
    assert "billing" not in blocks["orders"].split("bundleops run --job unit")[0].replace("billing orders", "")
    # publish ran for the failed bundle only, into its own report folder.
    assert (repo / "test-results" / "bundles-billing" / "junit.xml").is_file()
    assert not (repo / "test-results" / "bundles-orders").exists()
    assert not (repo / "test-results" / "junit.xml").exists()
    assert (repo / "bundles" / "orders" / ".bundleops" / "reports" / "unit" / "junit.xml").is_file()


def test_the_limit_runs_one_bundle_at_a_time(tmp_path: Path) -> None:
    """With --parallel 1 the first bundle's test waits alone and gives up: they never overlap."""
    repo = repository(tmp_path, ("billing", "orders"))
    env = environment(tmp_path, "billing orders", 2)
    result = run_bundleops(["run", "--job", "unit", "--parallel", "1", "--project-root", "."], env=env, cwd=repo, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "billing waited alone" in result.stdout
    assert "bundleops run --job unit: 1 of 2 bundles passed" in result.stdout  # orders met billing's leftover mark


def test_a_cancel_stops_every_running_step_and_fails_the_job(tmp_path: Path) -> None:
    repo = repository(tmp_path, ("billing", "orders"))
    env = environment(tmp_path, "billing orders nobody", 600)
    meeting = Path(env["BUNDLEOPS_TEST_MEETING"])
    job = subprocess.Popen([str(BIN / "bundleops"), "run", "--job", "unit", "--project-root", "."], cwd=repo, env=clean_environment(env),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while len(list(meeting.iterdir())) < 2:  # both bundles' tests are running
            assert job.poll() is None and time.monotonic() < deadline, job.stdout.read() if job.stdout else ""
            time.sleep(0.05)
        job.send_signal(signal.SIGTERM)
        output, _ = job.communicate(timeout=60)
    finally:
        if job.poll() is None:
            job.kill()
    assert job.returncode != 0, output
    assert "stopped by SIGTERM" in output
    for mark in meeting.iterdir():  # the tests' own processes are gone
        assert not alive(int(mark.read_text())), f"{mark.name}'s test process still runs"
