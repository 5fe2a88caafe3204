"""`bundleops deploy`: deploy and redeploy, the lock rules, destructive changes, the deployment record."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from tests.steps.project import bundleops, shop_project

pytestmark = pytest.mark.integration

STAGING_ROOT = "/Workspace/Shared/.bundle/shop/staging"


def _record(project: Path, target: str = "staging") -> dict[str, Any]:
    return json.loads((project / "test-results" / f"deployment-{target}.json").read_text(encoding="utf-8"))


def _hold_lock(client: Any, minutes_ago: int) -> None:
    from databricks.sdk.service.workspace import ImportFormat

    stamp = (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    document = {"ID": "5b1e0c1e-0000-4000-8000-000000000001", "AcquisitionTime": stamp, "IsForced": False, "User": "other-ci@example.com"}
    client.workspace.mkdirs(f"{STAGING_ROOT}/state")
    client.workspace.upload(f"{STAGING_ROOT}/state/deploy.lock", json.dumps(document).encode(), format=ImportFormat.AUTO, overwrite=True)


def test_deploy_writes_the_record_and_redeploy_updates_the_same_job(tmp_path: Path, env: dict[str, str], client: Any, local_workspace) -> None:  # noqa: ANN001
    project = shop_project(tmp_path / "p")
    first = bundleops(["deploy", "--target", "staging"], project, env)
    assert first.returncode == 0, first.stdout + first.stderr
    record = _record(project)
    job_id = record["jobs"]["shop_test_job"]["id"]
    assert record["bundle"] == "shop" and record["target"] == "staging" and record["ci_system"] == "local"
    assert record["deployed_by"] == local_workspace.client_id and record["cli_version"] == "1.13.0"
    assert record["root_path"] == STAGING_ROOT and record["deployed_at"].endswith("Z")
    assert "Created jobs.shop_test_job" in first.stdout

    (project / "src" / "fake_tests.py").write_text("print('changed')\n")
    second = bundleops(["deploy", "--target", "staging"], project, env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Updated jobs.shop_test_job" in second.stdout or "Resources: 0 created" in second.stdout
    assert _record(project)["jobs"]["shop_test_job"]["id"] == job_id
    assert [job.job_id for job in client.jobs.list(name="shop_test_job")] == [int(job_id)]


def test_a_young_lock_is_reported_with_holder_and_age(tmp_path: Path, env: dict[str, str], client: Any) -> None:
    _hold_lock(client, minutes_ago=5)
    result = bundleops(["deploy", "--target", "staging"], shop_project(tmp_path / "p"), env)
    assert result.returncode == 3
    assert "the deploy lock of staging is held by other-ci@example.com since" in result.stderr
    assert "(5 min ago): another deployment is probably running" in result.stderr
    assert not list(client.jobs.list(name="shop_test_job"))


def test_a_stale_lock_is_taken_over_loudly(tmp_path: Path, env: dict[str, str], client: Any) -> None:
    _hold_lock(client, minutes_ago=90)
    result = bundleops(["deploy", "--target", "staging"], shop_project(tmp_path / "p"), env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "TAKING OVER the deploy lock of staging, held by other-ci@example.com" in result.stderr
    assert "(90 min ago): older than 60 min" in result.stderr
    assert len(list(client.jobs.list(name="shop_test_job"))) == 1


def test_destructive_changes_need_the_projects_opt_in(tmp_path: Path, env: dict[str, str], client: Any) -> None:
    """The real CLI deletes a job without asking (it asks only for data assets); bundleops reads the
    deletion from `bundle plan` and holds it back until bundleops.yml opts in."""
    project = shop_project(tmp_path / "p")
    assert bundleops(["deploy", "--target", "staging"], project, env).returncode == 0
    (project / "resources" / "jobs.yml").write_text("resources:\n  jobs: {}\n")
    held = bundleops(["deploy", "--target", "staging"], project, env)
    assert held.returncode == 1
    assert ("destructive changes held back: the deploy to staging would delete jobs.shop_test_job (removed from the bundle configuration). "
            "Nothing was changed.") in held.stderr
    assert "opt in with `deploy: {auto_approve: true}` in bundleops.yml" in held.stderr
    assert "delete jobs.shop_test_job  (destructive: removed from the bundle configuration)" in held.stdout  # the plan, in the log
    assert len(list(client.jobs.list(name="shop_test_job"))) == 1

    (project / "bundleops.yml").write_text("deploy:\n  auto_approve: true\n")
    approved = bundleops(["deploy", "--target", "staging"], project, env)
    assert approved.returncode == 0, approved.stdout + approved.stderr
    assert not list(client.jobs.list(name="shop_test_job"))
