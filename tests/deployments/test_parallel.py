"""Done-when of issue 13: two pull requests of one project deploy and test at the same time, each in its own
deployment, and closing one destroys exactly its deployment.

Real processes throughout: every step is a `bundleops` process calling the CLI stand-in and the
local workspace over HTTP; the two pipelines run side by side in threads, and their deploys start
together (a barrier), so a shared deploy lock would make one of them fail.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from tests.deployments.project import PR_FOLDER, SHARED_ROOT, merge_request, pr_project
from tests.steps.project import bundleops

pytestmark = pytest.mark.integration

STEPS = ("validate", "deploy", "test")


class Pipeline(threading.Thread):
    """One pull request's pipeline: validate, deploy, test, each a process; deploys wait for each other to start together."""

    def __init__(self, project: Path, env: dict[str, str], barrier: threading.Barrier) -> None:
        super().__init__()
        self.project, self.env, self.barrier = project, env, barrier
        self.results: dict[str, tuple[int, str]] = {}
        self.deploy_span = (0.0, 0.0)

    def run(self) -> None:
        for name in STEPS:
            self.barrier.wait(timeout=600)
            started = time.monotonic()
            completed = bundleops([name, "--target", "staging"], self.project, self.env, timeout=600)
            if name == "deploy":
                self.deploy_span = (started, time.monotonic())
            self.results[name] = (completed.returncode, completed.stdout + completed.stderr)


def record(project: Path) -> dict:
    return json.loads((project / "test-results" / "deployment-staging.json").read_text())


def job_exists(client, job_id: str) -> bool:  # noqa: ANN001 - WorkspaceClient
    from databricks.sdk.errors import NotFound

    try:
        client.jobs.get(int(job_id))
    except NotFound:
        return False
    return True


def path_exists(client, path: str) -> bool:  # noqa: ANN001 - WorkspaceClient
    from databricks.sdk.errors import NotFound

    try:
        client.workspace.get_status(path)
    except NotFound:
        return False
    return True


def test_two_pull_requests_deploy_and_test_at_once_and_closing_one_destroys_only_it(tmp_path: Path, env: dict[str, str], sdk) -> None:  # noqa: ANN001
    shared = pr_project(tmp_path / "main", "main")
    deployed = bundleops(["deploy", "--target", "staging"], shared, env)  # a developer's shell: the shared staging
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    shared_jobs = record(shared)["jobs"]

    projects = {number: pr_project(tmp_path / f"pr{number}", f"feature/{number}") for number in (1, 2)}
    barrier = threading.Barrier(2)
    pipelines = {number: Pipeline(project, {**env, **merge_request(number, f"feature/{number}")}, barrier) for number, project in projects.items()}
    for pipeline in pipelines.values():
        pipeline.start()
    for pipeline in pipelines.values():
        pipeline.join(timeout=1200)

    for number, pipeline in pipelines.items():
        for name in STEPS:
            code, output = pipeline.results[name]
            assert code == 0, f"PR {number} {name}:\n{output}"
        assert "integration tests passed (2 total, 2 passed" in pipeline.results["test"][1]
        assert f"{PR_FOLDER}/pr-{number}/state/deploy.lock" in pipeline.results["deploy"][1]
        assert "another deployment is probably running" not in pipeline.results["deploy"][1]
    (start1, end1), (start2, end2) = pipelines[1].deploy_span, pipelines[2].deploy_span
    assert start1 < end2 and start2 < end1, "the two deploys did not run at the same time"

    records = {number: record(project) for number, project in projects.items()}
    for number, deployed_record in records.items():
        assert (deployed_record["deployment"], deployed_record["root_path"]) == (f"pr-{number}", f"{PR_FOLDER}/pr-{number}")
        test_job = sdk.jobs.get(int(deployed_record["jobs"]["shop_test_job"]["id"]))
        assert test_job.settings.name == f"[pr-{number}] shop_test_job"
        nightly = sdk.jobs.get(int(deployed_record["jobs"]["shop_nightly"]["id"]))
        assert nightly.settings.schedule.pause_status.value == "PAUSED"
    assert len({job["id"] for deployed_record in records.values() for job in deployed_record["jobs"].values()} | {job["id"] for job in shared_jobs.values()}) == 6
    shared_nightly = sdk.jobs.get(int(shared_jobs["shop_nightly"]["id"]))
    assert (shared_nightly.settings.name, shared_nightly.settings.schedule.pause_status.value) == ("shop_nightly", "UNPAUSED")

    closing = {**env, **merge_request(1, "feature/1", closed=True)}
    planned = json.loads(bundleops(["plan", "--format", "json"], projects[1], closing).stdout)
    assert (planned["steps"], planned["deployment"]) == (["destroy"], "pr-1")
    destroyed = bundleops(["destroy", "--target", "staging"], projects[1], closing)
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    assert f"destroyed the pull-request deployment pr-1: its resources, files and state at {PR_FOLDER}/pr-1" in destroyed.stdout

    assert not any(job_exists(sdk, job["id"]) for job in records[1]["jobs"].values())
    assert not path_exists(sdk, f"{PR_FOLDER}/pr-1")
    assert all(job_exists(sdk, job["id"]) for job in [*records[2]["jobs"].values(), *shared_jobs.values()])
    for path in (f"{PR_FOLDER}/pr-2/files/src/shop.py", f"{PR_FOLDER}/pr-2/state", f"{PR_FOLDER}/pr-2/bundleops/deployment.json",
                 f"{SHARED_ROOT}/files/src/shop.py", f"{SHARED_ROOT}/state"):
        assert path_exists(sdk, path), path

    again = bundleops(["destroy", "--target", "staging"], projects[1], closing)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to destroy: the pull-request deployment pr-1 does not exist" in again.stdout
