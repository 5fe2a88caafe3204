"""Deployments in a conformance workspace, arranged and inspected from outside a CI run.

The destroy and sweep checks need a pull request's own deployment to exist before a vendor's
close event or schedule runs, and the sweep needs one past its age. They are made the way a CI
job makes them (`bundleops deploy` of orders_pipeline in a merge-request context), and aged by
rewriting the deployment record's `deployed_at` in the workspace: the state a deployment left a
week ago would have. The drift check and the rollback need prod deployed (as a push to main
deploys it) and a job changed outside a deploy (through the SDK, as a UI edit). Everything is read
back with the SDK over the local workspace's REST API.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from tests.conformance import harness
from tests.support.gotemplate import EXAMPLE_INPUTS, TEMPLATE_DIR, render_tree

# orders_pipeline's staging root (steps/bundleops/shipped/examples/orders_pipeline/databricks.yml) and where bundleops
# puts a pull request's own deployment of it.
STAGING_ROOT = "/Workspace/Users/6f1c1a52-2d7e-4c8e-9a51-3b1f0c9e5a11/.bundle/orders_pipeline/staging"
PULL_REQUEST_FOLDER = STAGING_ROOT + "-pull-requests"
PROD_ROOT = "/Workspace/Users/9b0e7d43-5c2a-4f61-8e0d-7a4c2b8f1d22/.bundle/orders_pipeline/prod"
RECORD = "bundleops/deployment.json"


def client(workspace: harness.Workspace):  # -> databricks.sdk.WorkspaceClient
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient(host=workspace.host, client_id=workspace.client_id, client_secret=workspace.client_secret, auth_type="oauth-m2m")


def merge_request_variables(number: int, project: Path) -> dict[str, str]:
    """What GitLab sets for a merge-request pipeline of `number` (the context bundleops deploys it in)."""
    return {
        "GITLAB_CI": "true",
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_DEFAULT_BRANCH": "main",
        "CI_MERGE_REQUEST_IID": str(number),
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": harness.FEATURE_BRANCH,
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_COMMIT_SHA": harness.git(project, "rev-parse", "HEAD"),
    }


def deploy_pull_request(workspace: harness.Workspace, workdir: Path, number: int, edit: Callable[[Path], None] | None = None) -> str:
    """orders_pipeline (changed by `edit`) deployed as pull request `number`'s own deployment; returns its folder."""
    _as_pull_request("deploy", workspace, workdir, number, edit)
    folder = f"{PULL_REQUEST_FOLDER}/pr-{number}"
    assert f"pr-{number}" in pull_request_deployments(workspace), f"the deploy did not create {folder}"
    return folder


def destroy_pull_request(workspace: harness.Workspace, workdir: Path, number: int) -> None:
    """Pull request `number`'s own deployment destroyed, as its close job does: a test that arranged
    one leaves the session's shared workspace as the next test expects it."""
    _as_pull_request("destroy", workspace, workdir, number, None)
    assert f"pr-{number}" not in pull_request_deployments(workspace), f"pr-{number} is still there"


def _as_pull_request(step: str, workspace: harness.Workspace, workdir: Path, number: int, edit: Callable[[Path], None] | None) -> None:
    """`bundleops <step> --target staging` of orders_pipeline in pull request `number`'s merge-request context."""
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": "gitlab"}, workdir)
    project = workdir / EXAMPLE_INPUTS["project_name"]
    if edit is not None:
        edit(project)
    harness.make_repository(project, harness.FEATURE_BRANCH)
    _bundleops(step, "staging", workspace, project, merge_request_variables(number, project), workdir / "trace.jsonl")


def push_variables(project: Path) -> dict[str, str]:
    """What GitLab sets for the pipeline of a push to the default branch (the context prod is deployed in)."""
    return {
        "GITLAB_CI": "true",
        "CI_PIPELINE_SOURCE": "push",
        "CI_DEFAULT_BRANCH": "main",
        "CI_COMMIT_BRANCH": "main",
        "CI_COMMIT_SHA": harness.git(project, "rev-parse", "HEAD"),
    }


def deploy_prod(workspace: harness.Workspace, workdir: Path, vendor: str) -> Path:
    """orders_pipeline rendered for `vendor`, in a repository on main, deployed to prod as the
    pipeline of a push to main deploys it (and recorded in prod's deployment history); returns the
    repository, whose HEAD is the deployed commit."""
    project = main_repository(workdir, vendor)
    _bundleops("deploy", "prod", workspace, project, push_variables(project), workdir / "trace.jsonl")
    return project


def main_repository(workdir: Path, vendor: str) -> Path:
    """orders_pipeline rendered for `vendor`, committed on main."""
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": vendor}, workdir)
    project = workdir / EXAMPLE_INPUTS["project_name"]
    harness.make_repository(project, "main")
    return project


def _bundleops(step: str, target: str, workspace: harness.Workspace, project: Path, ci_variables: dict[str, str], trace_file: Path) -> None:
    """`bundleops <step> --target <target>` of `project`, as a CI job with these variables runs it."""
    env = {**harness.pipeline_env(workspace, trace_file), **ci_variables}
    result = subprocess.run(
        [sys.executable, "-m", "bundleops", step, "--project-root", str(project), "--target", target],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"{step} of {project.name} on {target} failed:\n{result.stdout}{result.stderr}"


def prod_history(workspace: harness.Workspace) -> list:  # -> list[bundleops.history.entry.HistoryEntry]
    """orders_pipeline's prod deployment history, oldest first, as `bundleops history` reads it."""
    from bundleops.history.store import read

    return list(read(client(workspace), PROD_ROOT).deployments())


def with_ci_files(repository: Path, vendor: str, workdir: Path) -> Path:
    """A copy of `repository` (orders_pipeline with its history) with a commit that adds `vendor`'s
    CI files: one deployed commit serves the five CI systems' runs, as a project that moves from one
    CI system to another keeps its history."""
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": vendor}, workdir / "rendered")
    project = workdir / repository.name
    shutil.copytree(repository, project, symlinks=True)
    shutil.copytree(workdir / "rendered" / EXAMPLE_INPUTS["project_name"], project, dirs_exist_ok=True)
    harness.git(project, "add", "-A")
    harness.git(project, "commit", "-q", "--allow-empty", "-m", f"Run on {vendor}")
    return project


def edit_job_outside_a_deploy(workspace: harness.Workspace, name: str) -> None:
    """The job named `name` changed in the workspace through the SDK, as a UI edit would: a new
    schedule (its settings read, changed and written back: jobs/reset)."""
    from databricks.sdk.service.jobs import CronSchedule

    api = client(workspace)
    (job,) = [job for job in api.jobs.list() if job.settings and job.settings.name == name]
    settings = api.jobs.get(job.job_id).settings
    settings.schedule = CronSchedule(quartz_cron_expression="0 0 1 * * ?", timezone_id="UTC")
    api.jobs.reset(job.job_id, new_settings=settings)


def pull_request_deployments(workspace: harness.Workspace) -> list[str]:
    """The folders under orders_pipeline's pull-request folder ([] when there is none)."""
    from databricks.sdk.errors import NotFound

    try:
        return sorted(str(entry.path).rsplit("/", 1)[-1] for entry in client(workspace).workspace.list(PULL_REQUEST_FOLDER))
    except NotFound:
        return []


def jobs_named(workspace: harness.Workspace, prefix: str) -> list[str]:
    """Names of the workspace's jobs that start with `prefix` (a pull-request deployment's `[pr-N]`)."""
    return sorted(job.settings.name for job in client(workspace).jobs.list() if job.settings and str(job.settings.name).startswith(prefix))


def backdate(workspace: harness.Workspace, number: int, days: int) -> None:
    """The deployment record of pr-`number` says it was deployed `days` ago."""
    import io

    from databricks.sdk.service.workspace import ImportFormat

    path = f"{PULL_REQUEST_FOLDER}/pr-{number}/{RECORD}"
    api = client(workspace)
    record = json.loads(api.workspace.download(path).read())
    record["deployed_at"] = (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    api.workspace.upload(path, io.BytesIO(json.dumps(record).encode("utf-8")), format=ImportFormat.AUTO, overwrite=True)


def foreign_folder(workspace: harness.Workspace, name: str) -> str:
    """A folder under the pull-request folder with no record of ours: the sweep must leave it."""
    import io

    from databricks.sdk.service.workspace import ImportFormat

    folder = f"{PULL_REQUEST_FOLDER}/{name}"
    api = client(workspace)
    api.workspace.mkdirs(folder)
    api.workspace.upload(f"{folder}/notes.md", io.BytesIO(b"someone else's\n"), format=ImportFormat.AUTO, overwrite=True)
    return folder
