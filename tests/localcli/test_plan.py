"""`bundle plan [-o json]`, `bundle deploy --plan FILE`, job deletion and `lifecycle.prevent_destroy`.

Against the local workspace over real HTTP, the stand-in run as CI runs it. What each test expects
is the real CLI's behaviour recorded in databricks/cli's acceptance tests (named per test).
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.localcli.cli import databricks

pytestmark = pytest.mark.integration

BUNDLE = """
bundle:
  name: plans
resources:
  jobs:
    ingest:
      name: orders ingest
      tasks:
        - task_key: load
          notebook_task:
            notebook_path: /Workspace/Shared/ingest
    export:
      name: orders export
      tasks:
        - task_key: after_ingest
          run_job_task:
            job_id: ${resources.jobs.ingest.id}
"""


def _project(tmp_path: Path, text: str = BUNDLE) -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "databricks.yml").write_text(textwrap.dedent(text), encoding="utf-8")
    return project


def _edit(project: Path, old: str, new: str) -> None:
    path = project / "databricks.yml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _plan(project: Path, env: dict[str, str]) -> dict[str, Any]:
    result = databricks(["bundle", "plan", "-o", "json"], project, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _save_plan(project: Path, env: dict[str, str], name: str) -> Path:
    path = project / name
    path.write_text(json.dumps(_plan(project, env)), encoding="utf-8")
    return path


def _state(client: Any, project: Path, env: dict[str, str]) -> dict[str, Any]:
    summary = json.loads(databricks(["bundle", "summary", "-o", "json"], project, env).stdout)
    with client.workspace.download(f"{summary['workspace']['state_path']}/resources.json") as handle:
        return json.loads(handle.read())


def _job_ids(project: Path, env: dict[str, str]) -> dict[str, str]:
    summary = json.loads(databricks(["bundle", "summary", "-o", "json"], project, env).stdout)
    return {key: job["id"] for key, job in summary["resources"]["jobs"].items() if "id" in job}


def test_plan_only_reads_and_deploy_applies_the_saved_plan(tmp_path: Path, local_workspace: Any, databricks_env: dict[str, str], client: Any) -> None:
    """deploy/readplan/basic, resource_deps/job_id, resources/jobs/update."""
    project = _project(tmp_path)
    log = local_workspace.dispatcher.record()
    text = databricks(["bundle", "plan"], project, databricks_env)
    first = _plan(project, databricks_env)
    local_workspace.dispatcher.stop_recording()
    assert text.returncode == 0, text.stderr
    assert text.stdout == "create jobs.export\ncreate jobs.ingest\n\nPlan: 2 to add, 0 to change, 0 to delete, 0 unchanged\n"
    api_calls = [exchange.request for exchange in log if exchange.request.path.startswith("/api/")]
    assert api_calls and {request.method for request in api_calls} == {"GET"}, [(r.method, r.path) for r in api_calls]
    assert list(first) == ["plan_version", "cli_version", "plan"]  # no state yet: no lineage, no serial
    assert first["plan_version"] == 2 and first["cli_version"] == "1.13.0"
    export = first["plan"]["resources.jobs.export"]
    assert list(export) == ["depends_on", "action", "new_state"]
    assert export["depends_on"] == [{"node": "resources.jobs.ingest", "label": "${resources.jobs.ingest.id}"}]
    assert export["new_state"]["value"]["tasks"] == [{"run_job_task": {"job_id": 0}, "task_key": "after_ingest"}]
    assert export["new_state"]["vars"] == {"tasks[0].run_job_task.job_id": "${resources.jobs.ingest.id}"}
    assert first["plan"]["resources.jobs.ingest"]["new_state"]["value"]["deployment"]["kind"] == "BUNDLE"
    assert not client.jobs.list(name="orders ingest") or not list(client.jobs.list(name="orders ingest"))

    (project / "create.json").write_text(json.dumps(first), encoding="utf-8")
    created = databricks(["bundle", "deploy", "--plan", "create.json"], project, databricks_env)
    assert created.returncode == 0, created.stderr
    assert "Created jobs.export\nCreated jobs.ingest\n" in created.stderr
    assert "Resources: 2 created, 0 changed, 0 deleted, 0 unchanged" in created.stderr
    ids = _job_ids(project, databricks_env)
    assert client.jobs.get(int(ids["export"])).settings.tasks[0].run_job_task.job_id == int(ids["ingest"])

    unchanged = _plan(project, databricks_env)
    state = _state(client, project, databricks_env)
    assert (unchanged["lineage"], unchanged["serial"]) == (state["lineage"], state["serial"]) and state["serial"] == 1
    assert {key: entry["action"] for key, entry in unchanged["plan"].items()} == {"resources.jobs.export": "skip", "resources.jobs.ingest": "skip"}
    ingest = unchanged["plan"]["resources.jobs.ingest"]
    assert "new_state" not in ingest and ingest["remote_state"]["job_id"] == int(ids["ingest"])
    assert ingest["remote_state"]["name"] == "orders ingest"
    assert databricks(["bundle", "plan"], project, databricks_env).stdout == "Plan: 0 to add, 0 to change, 0 to delete, 2 unchanged\n"

    _edit(project, "name: orders ingest", "name: orders ingest v2")
    _edit(project, "/Workspace/Shared/ingest", "/Workspace/Shared/ingest_v2")
    update = _save_plan(project, databricks_env, "update.json")
    entry = json.loads(update.read_text())["plan"]["resources.jobs.ingest"]
    assert entry["action"] == "update"
    assert entry["changes"]["tasks[task_key='load'].run_if"] == {"action": "skip", "reason": "backend_default", "remote": "ALL_SUCCESS"}
    assert entry["changes"]["timeout_seconds"] == {"action": "skip", "reason": "empty", "remote": 0}
    assert {path: change for path, change in entry["changes"].items() if change["action"] != "skip"} == {
        "name": {"action": "update", "old": "orders ingest", "new": "orders ingest v2", "remote": "orders ingest"},
        "tasks[task_key='load'].notebook_task.notebook_path": {
            "action": "update", "old": "/Workspace/Shared/ingest", "new": "/Workspace/Shared/ingest_v2", "remote": "/Workspace/Shared/ingest"},
    }
    assert json.loads(update.read_text())["plan"]["resources.jobs.export"]["action"] == "skip"
    applied = databricks(["bundle", "deploy", "--plan", "update.json"], project, databricks_env)
    assert applied.returncode == 0, applied.stderr
    assert "Updated jobs.ingest\n" in applied.stderr and "Resources: 0 created, 1 changed, 0 deleted, 1 unchanged" in applied.stderr
    settings = client.jobs.get(int(ids["ingest"])).settings
    assert (settings.name, settings.tasks[0].notebook_task.notebook_path) == ("orders ingest v2", "/Workspace/Shared/ingest_v2")
    assert _job_ids(project, databricks_env) == ids


def test_a_stale_or_foreign_plan_is_refused_and_nothing_is_applied(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    """deploy/readplan/{serial-mismatch,lineage-mismatch,terraform-error,plan-not-found,plan-version-mismatch,cli-version-mismatch}."""
    project = _project(tmp_path)
    assert databricks(["bundle", "deploy"], project, databricks_env).returncode == 0
    ids = _job_ids(project, databricks_env)
    _edit(project, "name: orders ingest", "name: approved name")
    stale = _save_plan(project, databricks_env, "approved.json")
    _edit(project, "name: approved name", "name: someone else's deploy")
    assert databricks(["bundle", "deploy"], project, databricks_env).returncode == 0  # the state moves on: serial 2

    refused = databricks(["bundle", "deploy", "--plan", "approved.json"], project, databricks_env)
    assert refused.returncode == 1
    assert refused.stderr == (
        "Error: plan serial 1 does not match state serial 2; the state has been modified since the plan was created. "
        "Please run 'bundle plan' again\n"
    )
    assert client.jobs.get(int(ids["ingest"])).settings.name == "someone else's deploy"
    assert _state(client, project, databricks_env)["serial"] == 2

    foreign = json.loads(stale.read_text())
    state_lineage = _state(client, project, databricks_env)["lineage"]
    foreign.update(lineage="00000000-0000-4000-8000-000000000000", serial=2, cli_version="1.12.0")
    stale.write_text(json.dumps(foreign), encoding="utf-8")
    other = databricks(["bundle", "deploy", "--plan", "approved.json"], project, databricks_env)
    assert (other.returncode, other.stderr) == (1, (
        "Warn: Plan was created with CLI version 1.12.0 but current version is 1.13.0\n"
        f'Error: plan lineage "00000000-0000-4000-8000-000000000000" does not match state lineage "{state_lineage}"; '
        "the state may have been modified by another process\n"))

    terraform = databricks(["bundle", "deploy", "--plan", "approved.json"], project, {**databricks_env, "DATABRICKS_BUNDLE_ENGINE": "terraform"})
    assert (terraform.returncode, terraform.stderr) == (1, (
        'Error: --plan is only supported with direct engine (set bundle.engine to "direct" or DATABRICKS_BUNDLE_ENGINE=direct)\n'))
    missing = databricks(["bundle", "deploy", "--plan", "missing.json"], project, databricks_env)
    assert (missing.returncode, missing.stderr) == (1, "Error: reading plan file: open missing.json: no such file or directory\n")
    stale.write_text(json.dumps({**foreign, "plan_version": 1}), encoding="utf-8")
    version = databricks(["bundle", "deploy", "--plan", "approved.json"], project, databricks_env)
    assert (version.returncode, version.stderr) == (1, 'Error: plan version mismatch: plan has version 1 (generated with CLI "1.12.0"), but current version is 2\n')
    assert client.jobs.get(int(ids["ingest"])).settings.name == "someone else's deploy"


def test_removed_job_is_deleted_without_approval_and_prevent_destroy_guards_destroy(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    """resources/jobs/delete_job, lifecycle/prevent-destroy, resources/jobs/remote_delete/deploy."""
    from databricks.sdk.errors import NotFound

    project = _project(tmp_path, BUNDLE.replace("      name: orders ingest\n", "      name: orders ingest\n      lifecycle:\n        prevent_destroy: true\n"))
    deployed = databricks(["bundle", "deploy"], project, databricks_env)
    assert deployed.returncode == 0, deployed.stderr
    assert "unknown field" not in deployed.stderr
    ids = _job_ids(project, databricks_env)
    assert "lifecycle" not in client.api_client.do("GET", "/api/2.2/jobs/get", query={"job_id": ids["ingest"]})["settings"]

    guarded = databricks(["bundle", "destroy", "--auto-approve"], project, databricks_env)
    assert guarded.returncode == 1
    assert guarded.stderr == (
        "Error: resources.jobs.ingest has lifecycle.prevent_destroy set, but the plan calls for this resource to be recreated or destroyed. "
        "To avoid this error, disable lifecycle.prevent_destroy for resources.jobs.ingest\n"
    )
    assert client.jobs.get(int(ids["ingest"])).job_id == int(ids["ingest"]) and client.jobs.get(int(ids["export"])).job_id == int(ids["export"])

    configured = (project / "databricks.yml").read_text(encoding="utf-8")
    (project / "databricks.yml").write_text(configured.split("    export:")[0], encoding="utf-8")
    _save_plan(project, databricks_env, "delete.json")
    (project / "databricks.yml").write_text(configured.replace("      name: orders export\n", "      name: orders export\n      lifecycle:\n        prevent_destroy: true\n"), encoding="utf-8")
    kept = databricks(["bundle", "deploy", "--plan", "delete.json"], project, databricks_env)
    assert kept.returncode == 1
    assert "Error: resources.jobs.export has lifecycle.prevent_destroy set, but the plan calls for this resource to be recreated or destroyed." in kept.stderr
    assert client.jobs.get(int(ids["export"])).job_id == int(ids["export"])

    (project / "databricks.yml").write_text(configured.split("    export:")[0], encoding="utf-8")
    planned = databricks(["bundle", "plan"], project, databricks_env)
    assert planned.stdout == "delete jobs.export\n\nPlan: 0 to add, 0 to change, 1 to delete, 1 unchanged\n"
    deleted = databricks(["bundle", "deploy"], project, databricks_env)
    assert deleted.returncode == 0, deleted.stderr
    assert "Deleted jobs.export\n" in deleted.stderr and "Resources: 0 created, 0 changed, 1 deleted, 1 unchanged" in deleted.stderr
    assert "approve" not in deleted.stderr
    with pytest.raises(NotFound):
        client.jobs.get(int(ids["export"]))

    client.jobs.delete(int(ids["ingest"]))
    assert databricks(["bundle", "plan"], project, databricks_env).stdout == "create jobs.ingest\n\nPlan: 1 to add, 0 to change, 0 to delete, 0 unchanged\n"
    recreated = databricks(["bundle", "deploy"], project, databricks_env)
    assert recreated.returncode == 0 and "Created jobs.ingest\n" in recreated.stderr, recreated.stderr
