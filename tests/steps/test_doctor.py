"""`bundleops doctor --target T` against the local workspace over HTTP, with the real databricks-sdk:
one line per check, the fix under a failure, the checks that could not run named, in seconds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.steps.project import bundleops, shop_project
from tests.support.faultproxy import FaultProxy, Rule, Status

pytestmark = pytest.mark.integration


def doctor(project: Path, env: dict[str, str], *args: str) -> tuple[int, str, float]:
    started = time.monotonic()
    result = bundleops(["doctor", "--target", "staging", *args], project, env, timeout=120)
    return result.returncode, result.stdout + result.stderr, time.monotonic() - started


def test_all_ok_names_the_cli_host_identity_root_path_and_permission(tmp_path: Path, env: dict[str, str], local_workspace) -> None:  # noqa: ANN001
    code, output, _ = doctor(shop_project(tmp_path / "p"), env)
    assert code == 0, output
    host = local_workspace.host
    assert "ok databricks CLI: " in output and "version 1.13.0 (bundleops needs >= 1.0.0)" in output
    assert f"ok host: {host} answers as a Databricks workspace" in output
    assert f"ok identity: service principal {local_workspace.client_id} (bundleops-ci) on {host} (oauth-m2m)" in output
    assert "ok root path: /Workspace/Shared/.bundle/shop/staging (bundle target staging)" in output
    assert "ok permission: group users holds CAN_MANAGE on /Workspace, where a deploy creates /Workspace/Shared/.bundle/shop/staging" in output
    assert "doctor: 5 ok, nothing failed" in output
    assert local_workspace.client_secret not in output


def test_after_a_deploy_the_root_path_exists(tmp_path: Path, env: dict[str, str], local_workspace) -> None:  # noqa: ANN001
    project = shop_project(tmp_path / "p")
    assert bundleops(["deploy", "--target", "staging"], project, env).returncode == 0
    code, output, _ = doctor(project, env)
    assert code == 0, output
    assert "ok permission: group users holds CAN_MANAGE on /Workspace/Shared/.bundle/shop/staging" in output


def test_a_closed_port_fails_the_host_in_seconds_and_skips_the_rest(tmp_path: Path, env: dict[str, str]) -> None:
    code, output, seconds = doctor(shop_project(tmp_path / "p"), {**env, "DATABRICKS_HOST": "http://127.0.0.1:9"})
    assert code == 2, output
    assert "FAIL host: DATABRICKS_HOST http://127.0.0.1:9 is not a workspace this runner can reach: nothing accepts connections there" in output
    assert "  fix: set DATABRICKS_HOST to the workspace URL" in output
    assert "skipped identity, root path, permission: they need a host that is a workspace" in output
    assert seconds < 30, f"took {seconds:.0f} s"


def test_a_wrong_secret_fails_the_identity_naming_the_credentials(tmp_path: Path, env: dict[str, str]) -> None:
    code, output, seconds = doctor(shop_project(tmp_path / "p"), {**env, "DATABRICKS_CLIENT_SECRET": "dose-not-the-secret"})
    assert code == 2, output
    assert "ok host: " in output
    assert "FAIL identity: authentication to" in output and "invalid_client: Client authentication failed" in output
    assert "  fix: check DATABRICKS_HOST and the credentials of DATABRICKS_AUTH_TYPE (oauth-m2m: DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET" in output
    assert "skipped root path, permission: they need credentials the workspace accepts" in output
    assert "dose-not-the-secret" not in output
    assert seconds < 30, f"took {seconds:.0f} s"


def test_without_a_cli_the_workspace_is_still_checked(tmp_path: Path, env: dict[str, str], local_workspace) -> None:  # noqa: ANN001
    code, output, _ = doctor(shop_project(tmp_path / "p"), {**env, "DATABRICKS_CLI_PATH": str(tmp_path / "no-such-cli")})
    assert code == 2, output
    assert f"FAIL databricks CLI: the Databricks CLI was not found (DATABRICKS_CLI_PATH={tmp_path / 'no-such-cli'} is not an executable)" in output
    assert "  fix: install the Databricks CLI >= 1.0.0" in output
    assert f"ok identity: service principal {local_workspace.client_id}" in output
    assert "skipped root path, permission: they need the databricks CLI" in output
    assert "doctor: 2 ok, FAILED: databricks CLI" in output


def test_a_workspace_that_stays_busy_is_an_outage_after_the_retry_window(tmp_path: Path, env: dict[str, str], local_workspace) -> None:  # noqa: ANN001
    project = shop_project(tmp_path / "p", changes={"bundleops.yml": "auth:\n  retry_timeout_seconds: 3\n"})
    with FaultProxy(local_workspace.host, [Rule("*", r"/.*", Status(503))]) as proxy:
        code, output, seconds = doctor(project, {**env, "DATABRICKS_HOST": proxy.host})
    assert code == 3, output
    assert f"ok host: {proxy.host} does not answer OAuth discovery now (busy, or slow)" in output
    assert f"FAIL identity: cannot reach the workspace {proxy.host}: it stayed unavailable for" in output
    assert seconds < 30, f"took {seconds:.0f} s"


def test_prod_may_be_checked_from_a_shell(tmp_path: Path, env: dict[str, str]) -> None:
    """Read-only: the guard lets a developer's shell look at prod (the shop bundle has no prod target: the root path says so)."""
    result = bundleops(["doctor", "--target", "prod"], shop_project(tmp_path / "p"), env, timeout=120)
    output = result.stdout + result.stderr
    assert "not from a developer's shell" not in output
    assert "ok identity: " in output and "FAIL root path: " in output
    assert result.returncode == 2, output
