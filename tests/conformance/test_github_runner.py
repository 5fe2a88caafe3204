"""The GitHub runner on its own: the consumer workflow of orders_pipeline, calling the working tree's
reusable workflow and composite actions, run by act in host mode against the local workspace, runs
what `bundleops plan` decides, skips the jobs of the targets it did not plan, stops at a failing
plan, and installs only the pinned bundleops. (That nothing from a branch name or pull-request
title is executed is checked for all five CI systems in test_conformance.py.)
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from tests.conformance import harness
from tests.conformance.monorepo import run_pull_request
from tests.conformance.runners import github as runner

pytestmark = pytest.mark.vendor_runner

# The single bundle at the repository root, as the plan lists it (project_root, key).
ROOT, KEY = ".", "root"


def job_started(log: str, job: str) -> bool:
    """act prefixes each line of a job with `[<workflow>/<job name>]` (padded); a job skipped by `if:` runs no step."""
    return re.search(rf"^\[bundleops/bundleops/{re.escape(job)} *\] ⭐ Run ", log, re.MULTILINE) is not None


@pytest.mark.parametrize("event", harness.EVENTS)
def test_runs_the_planned_steps(event: str, conformance_runs: harness.RunCache) -> None:
    run = conformance_runs.get("github", event)
    harness.assert_ran_the_plan(run)
    _, target = harness.planned_steps("github", event, run.project)
    # The repository is its one bundle: one leg per matrix job, named after the bundle's folder.
    assert job_started(run.log, "plan") and job_started(run.log, f"unit tests {ROOT}") and job_started(run.log, f"{target} {ROOT}")
    others = [name for name in ("dev", "staging", "prod") if name != target]
    assert not any(job_started(run.log, f"{name} {ROOT}") for name in others), f"only the {target} leg may run:\n{run.log[-4000:]}"
    # Each job has its own workspace: the unit reports reach the target leg only as the bundle's
    # artifact, and the target leg's test results are uploaded as the bundle's.
    artifacts = runner.artifacts_dir(run.project.parent / "runner")
    assert (artifacts / f"bundleops-unit-reports-{KEY}" / "junit.xml").is_file()
    harness.assert_published_unit_tests(artifacts / f"bundleops-{target}-test-results-{KEY}")


def test_secrets_variables_and_environment_reach_act_only_in_private_files(conformance_runs: harness.RunCache) -> None:
    run = conformance_runs.get("github", "pull_request")
    workdir = run.project.parent / "runner"
    for name in ("secrets", "vars", "env"):
        assert stat.S_IMODE((workdir / f"act.{name}").stat().st_mode) == 0o600, name
    secrets = (workdir / "act.secrets").read_text(encoding="utf-8")
    assert secrets.startswith("DATABRICKS_CLIENT_SECRET='") and "DATABRICKS_HOST" not in secrets
    secret = secrets.split("'")[1]
    assert secret not in run.log, "the client secret was printed"


def test_a_failing_plan_stops_the_run(tmp_path: Path) -> None:
    run = harness.run_with_failing_plan("github", tmp_path)
    assert not any(job_started(run.log, f"{name} {ROOT}") for name in ("unit tests", "dev", "staging", "prod", "prod preview"))


def test_jobs_install_the_pinned_bundleops_and_nothing_else(tmp_path: Path) -> None:
    """PIP_NO_INDEX: a job asking for another bundleops than the working tree fails at its install."""

    def ask_for_another_version(project: Path) -> None:
        consumer = project / runner.CONSUMER_FILE
        text = consumer.read_text(encoding="utf-8")
        consumer.write_text(text + "    with:\n      bundleops_source: bundleops==99.0.0\n", encoding="utf-8")

    run = harness.run_vendor("github", "push", harness.unreachable_workspace(tmp_path), tmp_path, edit=ask_for_another_version)
    assert run.returncode != 0 and run.steps == []
    assert "No matching distribution found for bundleops==99.0.0" in run.log


@pytest.mark.parametrize(
    ("repository", "ref", "uses", "refused"),
    [
        ("actions/cache", "0" * 40, [{}], "no local stand-in"),
        ("actions/upload-artifact", "0" * 40, [{"name": "x", "path": "y", "retention-days": 1}], "retention-days"),
        (runner.LIBRARY, "v0.0.1", [{}], "not this release's tag"),
        ("actions/checkout", "0" * 40, [{"fetch-depth": 0}, {"fetch-depth": 1}], "is not simulated"),
    ],
)
def test_the_runner_refuses_what_it_cannot_simulate(repository: str, ref: str, uses: list[dict], refused: str, tmp_path: Path) -> None:
    """A new third-party action or input in the templates fails loudly here instead of silently doing nothing."""
    with pytest.raises(ValueError, match=refused):
        runner.map_reference(repository, ref, uses, tmp_path / "library", tmp_path)


def test_the_runner_hands_act_the_max_parallel_github_would_evaluate() -> None:
    """act reads `max-parallel` as a number only; the runner resolves `${{ inputs.X }}` as GitHub does."""
    inputs = {"max_parallel": {"type": "number", "default": 10}}
    assert runner.resolve_max_parallel("4", inputs, {}) == "4"
    assert runner.resolve_max_parallel("${{ inputs.max_parallel }}", inputs, {}) == "10"
    assert runner.resolve_max_parallel("${{ inputs.max_parallel }}", inputs, {"max_parallel": 3}) == "3"
    for value, caller in (("${{ vars.MAX }}", {}), ("${{ inputs.other }}", {}), ("${{ inputs.max_parallel }}", {"max_parallel": "${{ vars.MAX }}"})):
        with pytest.raises(ValueError, match="max-parallel"):
            runner.resolve_max_parallel(value, inputs, caller)


def plan_unit_tests_too(repository: Path) -> None:
    """billing's and orders' pull-request rule plans `unit` before `validate`: unit reports to hand
    on (reports is left alone: a change to it would select it)."""
    for config in (repository / "bundles" / name / "bundleops.yml" for name in ("billing", "orders")):
        config.write_text(config.read_text(encoding="utf-8").replace("steps: [validate]", "steps: [unit, validate]"), encoding="utf-8")


def test_each_selected_bundle_runs_in_its_own_legs_with_its_own_artifacts(conformance_workspace: harness.Workspace, tmp_path: Path) -> None:
    """A shared change in the three-bundle repository: billing and orders each get a unit-test leg
    and a staging leg named after the bundle, the unit reports travel under the bundle's key to
    that bundle's staging leg only, and reports gets no leg."""
    result = run_pull_request("github", conformance_workspace, tmp_path, ["shared/helpers.py"], edit=plan_unit_tests_too)
    log = result.run.log
    assert result.run.returncode == 0, log[-6000:]
    assert [entry for entry in result.trace if entry[1] == "unit"] == [("bundles/billing", "unit", None), ("bundles/orders", "unit", None)], result.trace
    for bundle in ("bundles/billing", "bundles/orders"):
        for job in ("unit tests", "staging"):  # act numbers the legs of a matrix job: `<job name>-<n>`
            assert any(job_started(log, f"{job} {bundle}-{n}") for n in (1, 2)), f"no {job} leg for {bundle}"
        key = bundle.replace("/", "-")
        download = re.search(rf"^\[bundleops/bundleops/staging {re.escape(bundle)}-\d *\] *\| download-artifact stand-in: '([^']+)' to (\S+)", log, re.MULTILINE)
        assert download and download.group(1) == f"bundleops-unit-reports-{key}" and download.group(2).endswith(f"/{bundle}/.bundleops/reports/unit"), f"{bundle}'s leg took another bundle's reports"
    assert not re.search(r"^\[bundleops/bundleops/[\w ]* bundles/reports", log, re.MULTILINE), "a leg for the unchanged bundle"
    artifacts = runner.artifacts_dir(tmp_path / "runner")
    assert sorted(path.name for path in artifacts.iterdir()) == ["bundleops-unit-reports-bundles-billing", "bundleops-unit-reports-bundles-orders"]
    assert (artifacts / "bundleops-unit-reports-bundles-orders" / "junit.xml").is_file()
