"""After the deploy, on the five CI systems (issue 24): the scheduled drift check and the manual
rollback of prod.

One local workspace for the module (its prod is changed here, so no other module's runs see it),
where orders_pipeline is deployed to prod once, as a push to main deploys it. Each CI system's
runner then runs, on that repository plus a commit with the CI system's files:
- the drift check's schedule: `bundleops drift --target prod`, green while prod is as deployed;
- after a job of prod was changed through databricks-sdk (as a UI edit would), the same schedule:
  red, the changed job named in the log;
- the rollback run by hand with the deployed commit as its input: `bundleops rollback
  --preview-only`, then `bundleops rollback`, which deploys that commit's bundle again: the edit
  is gone (prod is as deployed for the next CI system) and prod's history ends with one rollback
  (the preview recorded nothing);
- the rollback run with shell code as its input: refused as a value, executed by nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from tests.conformance import deployments, harness
from tests.conformance.runners import jenkins

pytestmark = pytest.mark.vendor_runner

# orders_pipeline's job the drift check must notice when it is changed outside a deploy.
EDITED_JOB = "orders_pipeline_job"
DEPLOYED_SCHEDULE = "0 30 5 * * ?"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.Workspace]:
    from bundleops.localworkspace import LocalWorkspace

    root = tmp_path_factory.mktemp("operations-workspace")
    with LocalWorkspace(root / "state") as server:
        yield harness.served_by(server, root / "bin")


@pytest.fixture(scope="module")
def deployed(workspace: harness.Workspace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """orders_pipeline on main, deployed to prod: the repository, whose HEAD is the deployed commit."""
    return deployments.deploy_prod(workspace, tmp_path_factory.mktemp("deployed"), "github")


def assert_behind_prods_gate(vendor: str, runner_dir: Path) -> None:
    """Where the runner records the gate: on Azure the rollback stage's environment checks (the
    production environment's approval) ran and the preview's did not; on Jenkins the rollback
    waited for the approval (`input`) outside any node, then ran under prod's lock. (GitHub's,
    GitLab's and Bitbucket's gates are the templates' environment and manual job or step, checked
    by tests/templates: their runners do not stop at them.)"""
    if vendor == "azure":
        run = json.loads((runner_dir / "azure-run.json").read_text(encoding="utf-8"))
        assert {stage["name"]: stage["approved"] for stage in run["stages"]} == {"rollback_preview": None, "rollback": True}
        assert [job["environment"] for job in run["jobs"] if job["stage"] == "rollback" and job["kind"] == "deployment"] == ["production"]
    elif vendor == "jenkins":
        calls = jenkins.recorded_calls(runner_dir)
        (approval,) = [call for call in calls if call["step"] == "input"]
        (lock,) = [call for call in calls if call["step"] == "lock"]
        rollbacks = [call for call in calls if call["step"] == "sh" and "bundleops.sh rollback" in call["script"]]
        assert not approval["inNode"] and rollbacks[0]["index"] < approval["index"] < lock["index"] < rollbacks[1]["index"]
        assert lock["resource"] == f"bundleops-{jenkins.FOLDER}/orders_pipeline-operations-prod" and rollbacks[1]["locks"] == [lock["resource"]]


def job_schedule(workspace: harness.Workspace, name: str) -> str | None:
    api = deployments.client(workspace)
    (job,) = [job for job in api.jobs.list() if job.settings and job.settings.name == name]
    settings = api.jobs.get(job.job_id).settings
    return settings.schedule.quartz_cron_expression if settings and settings.schedule else None


@pytest.mark.parametrize("vendor", harness.VENDORS)
def test_the_drift_check_turns_red_on_an_edit_and_the_rollback_restores_prod(vendor: str, workspace: harness.Workspace, deployed: Path, tmp_path: Path) -> None:
    commit = harness.git(deployed, "rev-parse", "HEAD")
    repository = deployments.with_ci_files(deployed, vendor, tmp_path / "repository")

    green = harness.run_on_repository(vendor, harness.DRIFT, workspace, repository, tmp_path / "drift-green")
    assert green.returncode == 0, f"{vendor}: the drift check of an untouched prod failed (exit {green.returncode}):\n{green.log[-6000:]}"
    assert harness.comparable(green.steps) == [("drift", "prod")], green.steps

    deployments.edit_job_outside_a_deploy(workspace, EDITED_JOB)
    red = harness.run_on_repository(vendor, harness.DRIFT, workspace, repository, tmp_path / "drift-red")
    assert red.returncode != 0, f"{vendor}: drift found must make the scheduled run red:\n{red.log[-6000:]}"
    assert harness.comparable(red.steps) == [("drift", "prod")], red.steps
    assert f"jobs.{EDITED_JOB}" in red.log, f"{vendor}: the drift report names the changed job:\n{red.log[-6000:]}"

    before = len(deployments.prod_history(workspace))
    rollback = harness.run_on_repository(vendor, harness.ROLLBACK, workspace, repository, tmp_path / "rollback", rollback_to=commit)
    assert rollback.returncode == 0, f"{vendor}: the rollback failed (exit {rollback.returncode}):\n{rollback.log[-6000:]}"
    assert harness.comparable(rollback.steps) == [("rollback", "prod"), ("rollback", "prod")], rollback.steps
    assert_behind_prods_gate(vendor, tmp_path / "rollback" / "runner")
    assert job_schedule(workspace, EDITED_JOB) == DEPLOYED_SCHEDULE, "the rollback deployed the commit's bundle over the edit"
    history = deployments.prod_history(workspace)
    assert len(history) == before + 1, "the preview records nothing, the rollback one entry"
    assert (history[-1].outcome, history[-1].commit) == ("rolled_back", commit)

    # The input is text a person typed: shell code in it reaches bundleops as a value, which the
    # preview refuses (exit 2); nothing executes it and the gated rollback never starts.
    hostile = harness.run_on_repository(vendor, harness.ROLLBACK, workspace, repository, tmp_path / "hostile", rollback_to=harness.INJECTION_ROLLBACK_TO)
    planted = sorted(str(path) for path in tmp_path.rglob("pwned"))
    assert planted == [], f"{vendor} executed text of the rollback input: {planted}"
    assert hostile.returncode != 0 and harness.comparable(hostile.steps) == [("rollback", "prod")], f"{hostile.steps}\n{hostile.log[-6000:]}"
    assert f"--to {harness.INJECTION_ROLLBACK_TO!r} is neither" in hostile.log, f"{vendor}: bundleops sees the input verbatim:\n{hostile.log[-6000:]}"
