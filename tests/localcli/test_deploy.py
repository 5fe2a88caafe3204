"""Deploy, redeploy, lock, dev mode, deletions and destroy against the local workspace over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.localcli.bundles import orders_bundle
from tests.localcli.cli import databricks

pytestmark = pytest.mark.integration

PROD_ROOT = "/Workspace/Shared/.bundle/orders/prod"


def _summary_ids(project: Path, env: dict[str, str], target: str) -> dict[str, str]:
    result = databricks(["bundle", "summary", "-o", "json", "-t", target], project, env)
    assert result.returncode == 0, result.stderr
    return {key: job["id"] for key, job in json.loads(result.stdout)["resources"]["jobs"].items() if "id" in job}


def _workspace_text(client: Any, path: str) -> str | None:
    from databricks.sdk.errors import NotFound

    try:
        return client.workspace.download(path).read().decode()
    except NotFound:
        return None


def _write_lock(client: Any, path: str, user: str, stamp: str) -> None:
    client.workspace.mkdirs(path.rsplit("/", 1)[0])
    document = {"ID": "5b1e0c1e-0000-4000-8000-000000000001", "AcquisitionTime": stamp, "IsForced": False, "User": user}
    from databricks.sdk.service.workspace import ImportFormat

    client.workspace.upload(path, json.dumps(document).encode(), format=ImportFormat.AUTO, overwrite=True)


def test_deploy_then_redeploy_resets_the_same_job(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    project = orders_bundle(tmp_path)
    before = databricks(["bundle", "summary", "-o", "json", "-t", "prod"], project, databricks_env)
    assert before.returncode == 0, before.stderr
    assert json.loads(before.stdout)["resources"]["jobs"]["orders_job"]["modified_status"] == "created"

    first = databricks(["bundle", "deploy", "-t", "prod"], project, databricks_env)
    assert first.returncode == 0, first.stderr
    assert f"Uploading bundle files to {PROD_ROOT}/files..." in first.stderr
    assert "Created jobs.orders_job" in first.stderr and "Created jobs.orders_test_job" in first.stderr
    assert "Created jobs.orders_job.permissions" in first.stderr  # the real CLI counts a job's permissions as a resource
    assert "Resources: 4 created, 0 changed, 0 deleted, 0 unchanged" in first.stderr
    ids = _summary_ids(project, databricks_env, "prod")
    assert set(ids) == {"orders_job", "orders_test_job"} and all(isinstance(value, str) for value in ids.values())

    job = client.jobs.get(int(ids["orders_job"])).settings
    assert job.name == "orders_job"
    assert job.deployment.kind.value == "BUNDLE"
    assert job.deployment.metadata_file_path == f"{PROD_ROOT}/state/metadata.json"
    assert job.edit_mode.value == "UI_LOCKED"
    assert job.tasks[0].spark_python_task.python_file == f"{PROD_ROOT}/files/src/main.py"
    assert _workspace_text(client, f"{PROD_ROOT}/files/src/main.py") == "print('orders job ran')\n"
    assert _workspace_text(client, f"{PROD_ROOT}/state/deploy.lock") is None
    state = json.loads(_workspace_text(client, f"{PROD_ROOT}/state/resources.json") or "{}")
    assert state["state"]["resources.jobs.orders_job"]["__id__"] == ids["orders_job"]

    jobs_file = project / "resources" / "jobs.yml"
    jobs_file.write_text(jobs_file.read_text().replace('"--out"', '"--output"'))
    second = databricks(["bundle", "deploy", "-t", "prod"], project, databricks_env)
    assert second.returncode == 0, second.stderr
    assert "Updated jobs.orders_job" in second.stderr
    assert "Resources: 0 created, 1 changed, 0 deleted, 3 unchanged" in second.stderr
    assert _summary_ids(project, databricks_env, "prod") == ids
    parameters = client.jobs.get(int(ids["orders_job"])).settings.tasks[0].spark_python_task.parameters
    assert "--output" in parameters
    assert [found.job_id for found in client.jobs.list(name="orders_job")] == [int(ids["orders_job"])]


def test_held_lock_fails_with_holder_and_time_and_force_lock_takes_over(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    project = orders_bundle(tmp_path)
    lock_path = f"{PROD_ROOT}/state/deploy.lock"
    _write_lock(client, lock_path, "someone@example.com", "2026-11-24T05:00:00.5Z")

    held = databricks(["bundle", "deploy", "-t", "prod"], project, databricks_env)
    assert held.returncode == 1
    assert held.stderr.endswith(
        "Error: deploy lock acquired by someone@example.com at 2026-11-24 05:00:00.5 +0000 UTC.\n"
        "Another deployment may be in progress. Use --force-lock to override, but this may\n"
        "conflict with the other deployment if it is still active\n"
    )
    assert json.loads(_workspace_text(client, lock_path) or "{}")["User"] == "someone@example.com"
    assert client.jobs.list(name="orders_job") is not None and not list(client.jobs.list(name="orders_job"))

    forced = databricks(["bundle", "deploy", "-t", "prod", "--force-lock"], project, databricks_env)
    assert forced.returncode == 0, forced.stderr
    assert "Created jobs.orders_job" in forced.stderr
    assert _workspace_text(client, lock_path) is None


def test_development_mode_prefixes_names_and_takes_no_lock(tmp_path: Path, local_workspace: Any, databricks_env: dict[str, str], client: Any) -> None:
    human = {"DATABRICKS_HOST": local_workspace.host, "DATABRICKS_TOKEN": local_workspace.user_token, "DATABRICKS_AUTH_TYPE": "pat"}
    project = orders_bundle(tmp_path)
    dev_root = "/Workspace/Users/dev.user@example.com/.bundle/orders/dev"
    _write_lock(client, f"{dev_root}/state/deploy.lock", "someone@example.com", "2026-11-24T05:00:00Z")

    result = databricks(["bundle", "deploy"], project, human)
    assert result.returncode == 0, result.stderr
    ids = _summary_ids(project, human, "dev")
    settings = client.jobs.get(int(ids["orders_test_job"])).settings
    assert settings.name == "[dev dev_user] orders_test_job"
    assert settings.tags == {"dev": "dev_user"}
    assert settings.schedule.pause_status.value == "PAUSED"
    assert settings.tasks[0].notebook_task.notebook_path == f"{dev_root}/files/src/nb"


def test_removed_job_is_deleted_without_approval(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    """As the real CLI (resources/jobs/delete_job): jobs are not in its deployApprovalGroups, so no --auto-approve."""
    from databricks.sdk.errors import NotFound

    project = orders_bundle(tmp_path)
    assert databricks(["bundle", "deploy", "-t", "prod"], project, databricks_env).returncode == 0
    ids = _summary_ids(project, databricks_env, "prod")
    jobs_file = project / "resources" / "jobs.yml"
    jobs_file.write_text(jobs_file.read_text().split("    orders_test_job:")[0])

    deployed = databricks(["bundle", "deploy", "-t", "prod"], project, databricks_env)
    assert deployed.returncode == 0, deployed.stderr
    assert "Deleted jobs.orders_test_job\nDeleted jobs.orders_test_job.permissions\n" in deployed.stderr
    assert "Resources: 0 created, 0 changed, 2 deleted, 2 unchanged" in deployed.stderr
    assert "destructive" not in deployed.stderr and "approve" not in deployed.stderr
    with pytest.raises(NotFound):
        client.jobs.get(int(ids["orders_test_job"]))
    assert _summary_ids(project, databricks_env, "prod") == {"orders_job": ids["orders_job"]}
    assert _workspace_text(client, f"{PROD_ROOT}/state/deploy.lock") is None


def test_destroy_needs_auto_approve_then_removes_jobs_and_folder(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    from databricks.sdk.errors import NotFound

    project = orders_bundle(tmp_path)
    assert databricks(["bundle", "deploy", "-t", "prod"], project, databricks_env).returncode == 0
    ids = _summary_ids(project, databricks_env, "prod")

    refused = databricks(["bundle", "destroy", "-t", "prod"], project, databricks_env)
    assert refused.returncode == 1
    # after the recommendation to name the deployer in the prod target's permissions, as the real CLI's initialize phase gives it
    assert [line for line in refused.stderr.splitlines() if line.startswith("Error: ")][0].startswith("Error: this command will destroy all resources deployed by this bundle")
    assert refused.stderr.rstrip().endswith("To proceed, use --auto-approve.")

    destroyed = databricks(["bundle", "destroy", "-t", "prod", "--auto-approve"], project, databricks_env)
    assert destroyed.returncode == 0, destroyed.stderr
    assert "  delete resources.jobs.orders_job\n" in destroyed.stderr
    assert f"All files and directories at the following location will be deleted: {PROD_ROOT}" in destroyed.stderr
    assert destroyed.stderr.rstrip().endswith("Destroy: 2 deleted")
    for job_id in ids.values():
        with pytest.raises(NotFound):
            client.jobs.get(int(job_id))
    with pytest.raises(NotFound):
        client.workspace.get_status(PROD_ROOT)

    again = databricks(["bundle", "destroy", "-t", "prod", "--auto-approve"], project, databricks_env)
    assert (again.returncode, again.stderr.endswith("\n\nNo active deployment found to destroy!\n")) == (0, True), again.stderr


def test_validate_json_is_printed_even_when_invalid(tmp_path: Path, databricks_env: dict[str, str]) -> None:
    project = orders_bundle(tmp_path, {"resources/bad.yml": "resources:\n  dashboards:\n    p:\n      display_name: p\n"})
    result = databricks(["bundle", "validate", "-o", "json", "-t", "prod"], project, databricks_env)
    assert result.returncode == 1
    config = json.loads(result.stdout)
    assert config["bundle"]["target"] == "prod"
    assert config["workspace"]["current_user"]["userName"] == databricks_env["DATABRICKS_CLIENT_ID"]
    assert "Error: resource type 'dashboards' is not supported by the databricks CLI stand-in (it deploys jobs, pipelines, schemas, volumes)" in result.stderr

    text = databricks(["bundle", "validate", "-t", "prod"], orders_bundle(tmp_path / "good"), databricks_env)
    assert text.returncode == 0, text.stderr
    # prod grants a group CAN_VIEW only: the real CLI recommends naming the deployer (permission_diagnostics.go)
    assert text.stdout.endswith(f"  Path: {PROD_ROOT}\n\nFound 1 recommendation\n")


def test_fail_on_active_runs_refuses_while_a_job_runs(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    project = orders_bundle(tmp_path, {"src/main.py": "import time\ntime.sleep(60)\n"})
    assert databricks(["bundle", "deploy", "-t", "prod"], project, databricks_env).returncode == 0
    job_id = _summary_ids(project, databricks_env, "prod")["orders_job"]
    run = client.jobs.run_now(int(job_id))
    try:
        refused = databricks(["bundle", "deploy", "-t", "prod", "--fail-on-active-runs"], project, databricks_env)
        assert refused.returncode == 1
        assert refused.stderr.endswith(f"Error: job {job_id} is running\n")
    finally:
        client.jobs.cancel_run(run.run_id)
