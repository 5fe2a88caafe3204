"""`bundleops deploy` and `validate` under faults: the deploy lock, signals to the step, a CLI that never ends.

The real console script runs against the CLI stand-in and the local workspace, with the fault
proxy in between where a fault is needed. The stand-in ends on SIGTERM as the real CLI does
(at once, without releasing its lock: the real CLI's main runs without a signal handler), so
what these tests show is bundleops' part: forwarding the signal, waiting for the CLI, and
removing the lock the CLI left.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.faults.stepfaults import (  # noqa: F401 - env, sdk, shim_dir, workspace are fixtures
    LOCK,
    alias_bomb,
    alive,
    assert_outcome,
    children,
    env,
    lock_exists,
    sdk,
    shim_dir,
    signal_step,
    start,
    wait_for,
    workspace,
)
from tests.steps.project import bundleops, shop_project
from tests.support.faultproxy import FaultProxy, Rule, Stall, Status

pytestmark = pytest.mark.integration

DELETE = r"/api/2\.0/workspace/delete"
JOBS_CREATE = r"/api/2\.\d/jobs/create"
DEPLOY = ["deploy", "--target", "staging"]


def _bundleops_errors(result: subprocess.CompletedProcess[str]) -> None:
    """bundleops' own traceback would be on stderr (the CLI's output is streamed to stdout)."""
    assert "Traceback" not in result.stderr, result.stderr


def test_one_500_on_the_lock_delete_is_said_and_the_lock_removed(tmp_path: Path, env: dict[str, str], sdk: Any, workspace: Any) -> None:
    project = shop_project(tmp_path / "p")
    # The deploy's first workspace/delete empties artifacts/.internal (as the real CLI does); the second releases the lock.
    with FaultProxy(workspace.host, [Rule("POST", DELETE, Status(500), first=2, last=2)]) as proxy:
        failed = bundleops(DEPLOY, project, {**env, "DATABRICKS_HOST": proxy.host})
        output = failed.stdout + failed.stderr
        _bundleops_errors(failed)
        assert failed.returncode == 3, output
        assert f"the CLI left its deploy lock {LOCK} behind (held by {workspace.client_id} since" in output
        assert "bundleops deleted it" in output and "released by the CLI" not in output
        assert not lock_exists(sdk)
        again = bundleops(DEPLOY, project, {**env, "DATABRICKS_HOST": proxy.host})
    output = assert_outcome(again, 0, sdk, project, secrets=(workspace.client_secret,))
    assert f"the deploy lock of staging is released ({LOCK} does not exist)" in output
    assert [fault.describe() for fault in proxy.injected] == ["POST /api/2.0/workspace/delete: 500"]
    # The shared target's history keeps the failed deploy beside the one that succeeded, in order.
    listed = bundleops(["history", "--target", "staging", "--format", "json"], project, env)
    deployments = json.loads(listed.stdout)["deployments"]
    assert [(item["bundleops"]["outcome"], item["result"]) for item in deployments] == [("failed", "FAILURE"), ("deployed", "SUCCESS")], listed.stderr


def test_a_lock_nobody_can_delete_is_reported_with_the_command_that_clears_it(
    tmp_path: Path, env: dict[str, str], sdk: Any, workspace: Any, shim_dir: Path
) -> None:
    project = shop_project(tmp_path / "p")
    with FaultProxy(workspace.host, [Rule("POST", DELETE, Status(500))]) as proxy:
        failed = bundleops(DEPLOY, project, {**env, "DATABRICKS_HOST": proxy.host})
    output = failed.stdout + failed.stderr
    _bundleops_errors(failed)
    assert failed.returncode == 3, output
    assert f"the deploy lock {LOCK} is still there (held by {workspace.client_id} since" in output
    assert "the CLI did not release it and deleting it failed" in output
    fix = "run `databricks bundle deploy -t staging --force-lock` in the project folder with the same credentials"
    assert f"Every deploy of staging is refused until it is cleared: {fix}" in output
    assert lock_exists(sdk)

    refused = bundleops(DEPLOY, project, env)
    output = refused.stdout + refused.stderr
    assert refused.returncode == 3, output
    assert f"the deploy lock of staging is held by {workspace.client_id} since" in output and "(0 min ago)" in output
    assert "If no deploy of staging is running (a killed job left the lock), " + fix in output

    cleared = subprocess.run([str(shim_dir / "databricks"), "bundle", "deploy", "-t", "staging", "--force-lock"], cwd=project, env=env,
                             capture_output=True, text=True, timeout=300, check=False)
    assert cleared.returncode == 0, cleared.stderr
    assert_outcome(bundleops(DEPLOY, project, env), 0, sdk, project, secrets=(workspace.client_secret,))


@pytest.mark.parametrize(
    ("signum", "group"),
    [(signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGTERM, True)],
    ids=["sigterm-to-step", "sigint-to-step", "sigterm-to-group"],
)
def test_a_signal_during_the_deploy_stops_the_cli_and_leaves_no_lock(
    tmp_path: Path, env: dict[str, str], sdk: Any, workspace: Any, signum: int, group: bool
) -> None:
    project = shop_project(tmp_path / "p")
    with FaultProxy(workspace.host, [Rule("POST", JOBS_CREATE, Stall(120))]) as proxy:
        step = start(DEPLOY, project, {**env, "DATABRICKS_HOST": proxy.host})
        try:
            wait_for(lambda: proxy.injected or step.poll() is not None, 240, "the deploy to reach jobs/create")
            assert lock_exists(sdk), "the CLI holds its lock while it deploys"
            cli = children(step.pid, "bundle deploy")
            signal_step(step, signum, group=group)
            stdout, stderr = step.communicate(timeout=60)
        finally:
            if step.poll() is None:
                step.kill()
    result = subprocess.CompletedProcess(step.args, step.returncode, stdout, stderr)
    output = assert_outcome(result, 3, sdk, project, secrets=(workspace.client_secret,))
    plan = project.resolve() / "test-results" / "deploy-plan-staging.json"  # the deploy applies the plan it checked
    assert f"cancelled by {signal.Signals(signum).name}: `databricks bundle deploy -t staging --plan {plan}` was stopped (SIGTERM) and has ended" in output
    assert f"the CLI left its deploy lock {LOCK} behind" in output and "bundleops deleted it" in output
    assert cli and not any(alive(pid) for pid in cli), "the CLI child must not outlive the step"


def test_a_yaml_alias_bomb_cannot_hang_validate(tmp_path: Path, env: dict[str, str], sdk: Any) -> None:
    project = alias_bomb(tmp_path / "p")
    result = bundleops(["validate", "--target", "staging"], project, env, timeout=180)
    output = assert_outcome(result, 3, sdk, project)
    assert "`databricks bundle validate -o json -t staging` did not finish within 31 s and was stopped" in output
    assert "YAML aliases nested into millions of nodes" in output and "auth.retry_timeout_seconds + 30 s" in output


def test_sigterm_to_validate_stops_the_cli_at_once(tmp_path: Path, env: dict[str, str], sdk: Any) -> None:
    project = alias_bomb(tmp_path / "p")
    step = start(["validate", "--target", "staging"], project, env)
    try:
        wait_for(lambda: children(step.pid, "bundle validate") or step.poll() is not None, 120, "validate to start the CLI")
        cli = children(step.pid, "bundle validate")
        signal_step(step, signal.SIGTERM, group=False)
        stdout, stderr = step.communicate(timeout=30)
    finally:
        if step.poll() is None:
            step.kill()
    output = assert_outcome(subprocess.CompletedProcess(step.args, step.returncode, stdout, stderr), 3, sdk, project)
    assert "cancelled by SIGTERM: `databricks bundle validate -o json -t staging` was stopped (SIGTERM) and has ended" in output
    assert cli and not any(alive(pid) for pid in cli)
