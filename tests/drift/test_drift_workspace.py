"""`bundleops drift --target prod` through the CLI stand-in and the local workspace (the issue's Done-when).

One story per module: a push to the default branch deploys two small jobs to prod (the deploy
appends to prod's history); a scheduled run finds no drift; then someone changes one job through
databricks-sdk (a new schedule and an extra task, as a UI edit does) and deletes the other; the
scheduled run exits 1 naming both and the changed fields, opens one GitHub issue and updates it on
the next run; `--reconcile` is refused from a developer's shell and, from a manual run of the
default branch, deploys the checkout back, after which drift exits 0 and the issue is closed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any, Iterator

import pytest

from tests.context import snapshots
from tests.steps.project import ROOT, bundleops, shop_project, step_env
from tests.steps.test_preview import PROD_TARGET
from tests.support.pr_comments_standin import PullRequestComments

pytestmark = pytest.mark.integration

JOBS = """
resources:
  jobs:
    orders_ingest:
      name: orders ingest
      schedule: {quartz_cron_expression: "0 0 2 * * ?", timezone_id: UTC}
      tasks:
        - task_key: load
          spark_python_task: {python_file: ../src/fake_tests.py}
    orders_export:
      name: orders export
      tasks:
        - task_key: publish
          spark_python_task: {python_file: ../src/fake_tests.py}
"""
UI_CRON = "0 30 5 * * ?"
MARKER = "<!-- bundleops-drift shop/prod -->"


@dataclass(frozen=True)
class Story:
    project: Path
    clean: CompletedProcess[str]
    drifted: CompletedProcess[str]
    drifted_report: dict[str, Any]
    again: CompletedProcess[str]
    refused: CompletedProcess[str]
    reconciled: CompletedProcess[str]
    after: CompletedProcess[str]
    issue_after_first: dict[str, Any]
    issues: PullRequestComments
    jobs_after: dict[str, Any]  # name -> settings, through the SDK, after the reconcile


def _ci(env: dict[str, str], scenario: str, folder: Path, issues: PullRequestComments, event: str | None = None) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    ci = {**env, **snapshots.environment("github", scenario, folder), "GITHUB_STEP_SUMMARY": str(folder / "summary.md"),
          "GITHUB_API_URL": issues.url, "GITHUB_TOKEN": issues.token}
    return {**ci, "GITHUB_EVENT_NAME": event} if event else ci


def _edit_in_the_workspace(sdk: Any) -> None:
    """What someone does in the UI: ingest gets a new schedule and an extra task; export is deleted."""
    from databricks.sdk.service.jobs import CronSchedule, PauseStatus, SparkPythonTask, Task

    jobs = {job.settings.name: job.job_id for job in sdk.jobs.list()}
    settings = sdk.jobs.get(jobs["orders ingest"]).settings
    settings.schedule = CronSchedule(quartz_cron_expression=UI_CRON, timezone_id="UTC", pause_status=PauseStatus.UNPAUSED)
    settings.tasks.append(Task(task_key="manual_fix", spark_python_task=SparkPythonTask(python_file=settings.tasks[0].spark_python_task.python_file)))
    sdk.jobs.reset(jobs["orders ingest"], new_settings=settings)
    sdk.jobs.delete(jobs["orders export"])


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Story]:
    """The whole story, once (seven bundleops runs): the checks below read what each run did."""
    from databricks.sdk import WorkspaceClient

    from bundleops.localcli.shim import write_shim
    from bundleops.localworkspace import LocalWorkspace

    folder = tmp_path_factory.mktemp("drift")
    write_shim(folder / "bin")
    issues = PullRequestComments().start()
    with LocalWorkspace(folder / "local-workspace") as workspace:
        env = step_env(workspace.env(), folder / "bin")
        sdk = WorkspaceClient(host=workspace.host, client_id=workspace.client_id, client_secret=workspace.client_secret, auth_type="oauth-m2m")
        project = shop_project(folder / "shop", changes={"databricks.yml": ROOT + PROD_TARGET, "resources/jobs.yml": JOBS})
        schedule = _ci(env, "push_default", folder / "schedule", issues, event="schedule")
        deployed = bundleops(["deploy", "--target", "prod"], project, _ci(env, "push_default", folder / "push", issues))
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        clean = bundleops(["drift", "--target", "prod"], project, schedule)
        _edit_in_the_workspace(sdk)
        drifted = bundleops(["drift", "--target", "prod"], project, schedule)
        report = json.loads((project / "test-results" / "drift-prod.json").read_text(encoding="utf-8"))
        issue_after_first = json.loads(json.dumps(issues.issues.get("github", {})))
        again = bundleops(["drift", "--target", "prod"], project, schedule)
        refused = bundleops(["drift", "--target", "prod", "--reconcile"], project, env)
        reconciled = bundleops(["drift", "--target", "prod", "--reconcile"], project, _ci(env, "manual", folder / "manual", issues))
        after = bundleops(["drift", "--target", "prod"], project, env)
        jobs_after = {job.settings.name: sdk.jobs.get(job.job_id).settings for job in sdk.jobs.list()}
        yield Story(project, clean, drifted, report, again, refused, reconciled, after, issue_after_first, issues, jobs_after)
    issues.stop()


def _output(result: CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def right_after_a_deploy_there_is_no_drift(story: Story) -> None:
    assert story.clean.returncode == 0, _output(story.clean)
    assert "no drift: the workspace matches the last deploy" in story.clean.stdout
    assert "no drift, and no drift issue is open" in story.clean.stdout


def a_ui_edit_and_a_deletion_are_drift_naming_both_and_the_fields(story: Story) -> None:
    output = _output(story.drifted)
    assert story.drifted.returncode == 1, output
    assert "changed in the workspace: jobs.orders_ingest (orders ingest)" in output
    assert f"    schedule.quartz_cron_expression: 0 0 2 * * ? → {UI_CRON}" in output
    assert "    tasks[task_key='manual_fix']: — → " in output
    assert "pause_status" not in output  # the edit kept it: only what changed is named
    assert "deleted in the workspace: jobs.orders_export (orders export): deleted in the workspace outside a deploy: the last deploy made it" in output
    assert "drift found: 2 resource(s) changed or deleted in the workspace outside a deploy (jobs.orders_export, jobs.orders_ingest)" in output
    kinds = {(item["resource"], item["kind"]) for item in story.drifted_report["resources"]}
    assert {("jobs.orders_ingest", "changed"), ("jobs.orders_export", "deleted")} <= kinds
    assert story.drifted_report["drifted"] is True and story.drifted_report["counts"]["changed"] == 1 and story.drifted_report["counts"]["deleted"] == 1
    [changed] = [item for item in story.drifted_report["resources"] if item["kind"] == "changed"]
    assert {"path": "schedule.quartz_cron_expression", "deployed": "0 0 2 * * ?", "workspace": UI_CRON} in changed["fields"]
    summary = (story.project.parent / "schedule" / "summary.md").read_text(encoding="utf-8")
    assert "**Drift found**" in summary and "| `schedule.quartz_cron_expression` | `0 0 2 * * ?` | `0 30 5 * * ?` |" in summary


def the_schedule_opens_one_issue_and_updates_it(story: Story) -> None:
    [(number, first)] = story.issue_after_first.items()
    assert first["state"] == "open" and first["body"].startswith(MARKER) and "jobs.orders_export" in first["body"]
    assert f"drift issue opened: {story.issues.url}/repos/acme/orders/issues/{number}" in story.drifted.stdout
    assert story.again.returncode == 1, _output(story.again)
    assert f"drift issue updated: {story.issues.url}/repos/acme/orders/issues/{number}" in story.again.stdout
    assert list(story.issues.issues["github"]) == [int(number)]  # updated, not duplicated


def a_developer_may_look_at_prod_but_not_reconcile_it(story: Story) -> None:
    assert story.after.returncode == 0 and "no drift issue on local" in story.after.stdout, _output(story.after)  # a look from a shell
    assert story.refused.returncode == 2, _output(story.refused)
    assert "refusing --target prod: prod is changed only from CI, not from a developer's shell" in _output(story.refused)


def reconcile_reports_then_deploys_the_checkout_back(story: Story) -> None:
    output = _output(story.reconciled)
    assert story.reconciled.returncode == 0, output
    assert output.index("deleted in the workspace: jobs.orders_export") < output.index("reconciling prod: deploying this checkout")
    assert story.jobs_after["orders ingest"].schedule.quartz_cron_expression == "0 0 2 * * ?"
    assert [task.task_key for task in story.jobs_after["orders ingest"].tasks] == ["load"]
    assert "orders export" in story.jobs_after
    assert story.after.returncode == 0, _output(story.after)
    assert "no drift: the workspace matches the last deploy" in story.after.stdout
    [issue] = story.issues.issues["github"].values()
    assert issue["state"] == "closed" and issue["state_reason"] == "completed"
    [closing] = story.issues.issue_comments("github", next(iter(story.issues.issues["github"])))
    assert closing.startswith("Reconciled by `https://github.com/acme/orders/actions/runs/9001")


def test_drift_after_a_ui_edit_and_a_deletion_then_reconcile(story: Story) -> None:
    """One test, so that pytest-xdist runs the story on one worker only; each check names its part."""
    for check in (right_after_a_deploy_there_is_no_drift, a_ui_edit_and_a_deletion_are_drift_naming_both_and_the_fields,
                  the_schedule_opens_one_issue_and_updates_it, a_developer_may_look_at_prod_but_not_reconcile_it,
                  reconcile_reports_then_deploys_the_checkout_back):
        check(story)


def test_a_terraform_engine_bundle_is_refused_with_the_fix(tmp_path: Path, env: dict[str, str]) -> None:
    project = shop_project(tmp_path / "shop", changes={"resources/jobs.yml": JOBS})
    refused = bundleops(["drift", "--target", "dev"], project, {**env, "DATABRICKS_BUNDLE_ENGINE": "terraform"})
    assert refused.returncode == 2, _output(refused)
    assert "comes from the terraform engine, whose plan does not say what the workspace holds now" in refused.stderr + refused.stdout
    assert "databricks bundle deployment migrate" in refused.stderr + refused.stdout


def test_without_a_history_a_missing_job_is_reported_and_is_not_drift(tmp_path: Path, env: dict[str, str]) -> None:
    """dev keeps no history: a job the checkout has and the workspace lacks cannot be told from a new one."""
    project = shop_project(tmp_path / "shop", changes={"resources/jobs.yml": JOBS})
    checked = bundleops(["drift", "--target", "dev"], project, env)
    assert checked.returncode == 0, _output(checked)
    assert "not in the workspace: new in the default branch, or deleted outside a deploy: jobs.orders_export (" in checked.stdout  # dev prefixes the name
    assert "2 resource(s) of dev are not in the workspace and no deploy is in the target's history" in _output(checked)
