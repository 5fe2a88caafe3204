"""The Azure runner on its own: the consumer file of orders_pipeline, compiled with the working
tree's azure/bundleops.yml and run by the Azure Pipelines simulator against the local workspace,
runs what `bundleops plan` decides, skips the stages of the other targets (so they ask for no
approval), keeps credentials out of the plan stage, stops at a failing step, and installs only the
pinned bundleops. (That nothing from a branch name or pull-request title is executed is checked
for all five CI systems in test_conformance.py.)

The simulator itself (what it supports, and that it refuses the rest) is tested in
test_azure_expander.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bundleops import __version__
from tests.conformance import harness
from tests.conformance.azure_expander import compile_pipeline
from tests.conformance.runners import azure as runner
from tests.support.gotemplate import EXAMPLE_INPUTS, TEMPLATE_DIR, render_tree

pytestmark = pytest.mark.vendor_runner


def recorded(run: harness.VendorRun) -> dict:
    """The simulator's record of the run (stages, jobs, steps), written next to the runner's work."""
    return json.loads((run.project.parent / "runner" / "azure-run.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("event", harness.EVENTS)
def test_runs_the_planned_steps(event: str, conformance_runs: harness.RunCache) -> None:
    run = conformance_runs.get("azure", event)
    harness.assert_ran_the_plan(run)
    record = recorded(run)
    _, target = harness.planned_steps("azure", event, run.project)
    stages = {stage["name"]: stage["result"] for stage in record["stages"]}
    assert stages == {"plan": "Succeeded", **{t: ("Succeeded" if t == target else "Skipped") for t in ("dev", "staging", "prod")}}
    (deployment,) = [job for job in record["jobs"] if job["kind"] == "deployment"]
    assert deployment["environment"] == {"dev": "dev", "staging": "staging", "prod": "production"}[target]
    # The reports reach Azure's Tests and Code Coverage tabs, holding the unit tests of the plan stage.
    published = {step["kind"]: step["files"] for step in record["steps"] if step["stage"] == target and step["kind"].startswith("task:Publish")}
    assert published["task:PublishTestResults@2"] and published["task:PublishCodeCoverageResults@2"]
    harness.assert_published_unit_tests(Path(deployment["workspace"]) / "test-results")


def test_only_the_target_job_sees_credentials(conformance_runs: harness.RunCache) -> None:
    """Credentials live in the targets' variable groups, which only the deployment jobs reference;
    the client secret is a secret variable: in no job's plain variables and masked in the log."""
    run = conformance_runs.get("azure", "pull_request")
    jobs = {job["stage"]: job for job in recorded(run)["jobs"]}
    assert jobs["plan"]["outputs"]["plan.target"] == "staging"
    assert not {"DATABRICKS_HOST", "DATABRICKS_CLIENT_ID", "DATABRICKS_AUTH_TYPE"} & set(jobs["plan"]["variables"])
    assert jobs["staging"]["variables"]["DATABRICKS_AUTH_TYPE"] == "oauth-m2m", "the variable group's auth type wins over the template default"
    assert "DATABRICKS_CLIENT_SECRET" not in jobs["staging"]["variables"]


def test_pull_request_variables_reach_bundleops(conformance_runs: harness.RunCache) -> None:
    """The predefined variables of a pull-request build give bundleops its context (context/azure.py)."""
    run = conformance_runs.get("azure", "pull_request")
    assert f"event=pull_request branch={harness.FEATURE_BRANCH} target_branch=main" in run.log
    assert f"pr_number={harness.PR_NUMBER}" in run.log


def test_a_failing_plan_stops_the_pipeline(tmp_path: Path) -> None:
    run = harness.run_with_failing_plan("azure", tmp_path)
    stages = {stage["name"]: stage["result"] for stage in recorded(run)["stages"]}
    assert stages == {"plan": "Failed", "dev": "Skipped", "staging": "Skipped", "prod": "Skipped"}


def test_a_rejected_approval_keeps_prod_from_deploying(tmp_path: Path) -> None:
    """The production environment's Approvals check says no: the prod stage fails before any step."""
    project = tmp_path / "orders_pipeline"
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": "azure"}, tmp_path)
    harness.make_repository(project, "main")
    trace = tmp_path / "trace.jsonl"
    env = harness.pipeline_env(harness.unreachable_workspace(tmp_path), trace)
    asked: list[tuple[str, str]] = []

    def reject_production(environment: str, stage: str) -> bool:
        asked.append((environment, stage))
        return environment != "production"

    result = runner.simulate("push", project, env, tmp_path / "runner", approve=reject_production)
    assert asked == [("production", "prod")], "only the planned stage asks for approval"
    assert result.returncode != 0
    assert result.stage("prod").result == "Failed" and result.stage("prod").approved is False
    assert not any(job.stage == "prod" for job in result.jobs), "no prod job may start without approval"
    assert harness.steps_run(trace) == [("unit", None)]


def test_jobs_install_the_pinned_bundleops_and_nothing_else(tmp_path: Path) -> None:
    """PIP_NO_INDEX: a job asking for another bundleops than the working tree fails at its install."""

    def ask_for_another_version(project: Path) -> None:
        consumer = project / runner.CONSUMER_FILE
        text = consumer.read_text(encoding="utf-8").replace(
            "  template: azure/bundleops.yml@bundleops\n",
            "  template: azure/bundleops.yml@bundleops\n  parameters:\n    bundleopsSource: bundleops==99.0.0\n",
        )
        consumer.write_text(text, encoding="utf-8")

    run = harness.run_vendor("azure", "push", harness.unreachable_workspace(tmp_path), tmp_path, edit=ask_for_another_version)
    assert run.returncode != 0 and run.steps == []
    assert "No matching distribution found for bundleops==99.0.0" in run.log


def test_the_consumer_extends_the_release_of_this_repository(tmp_path: Path) -> None:
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": "azure"}, tmp_path)
    compiled = compile_pipeline(tmp_path / "orders_pipeline" / runner.CONSUMER_FILE, {runner.LIBRARY_REPOSITORY: harness.REPO_ROOT})
    assert compiled.repositories["bundleops"].ref == f"refs/tags/v{__version__}"
    assert compiled.template_file == harness.REPO_ROOT / "azure" / "bundleops.yml"
    assert compiled.parameters["bundleopsSource"] == f"bundleops[local]=={__version__}"
