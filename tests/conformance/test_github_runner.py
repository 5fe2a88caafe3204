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
from tests.conformance.runners import github as runner

pytestmark = pytest.mark.vendor_runner


def job_started(log: str, job: str) -> bool:
    """act prefixes each line of a job with `[<workflow>/<job name>]` (padded); a job skipped by `if:` runs no step."""
    return re.search(rf"^\[bundleops/bundleops/{re.escape(job)} *\] ⭐ Run ", log, re.MULTILINE) is not None


@pytest.mark.parametrize("event", harness.EVENTS)
def test_runs_the_planned_steps(event: str, conformance_runs: harness.RunCache) -> None:
    run = conformance_runs.get("github", event)
    harness.assert_ran_the_plan(run)
    _, target = harness.planned_steps("github", event, run.project)
    assert job_started(run.log, "plan and unit tests") and job_started(run.log, target)
    others = [name for name in ("dev", "staging", "prod") if name != target]
    assert not any(job_started(run.log, name) for name in others), f"only the {target} job may run:\n{run.log[-4000:]}"
    # Each job has its own workspace: the unit reports reach the target job only as an artifact,
    # and the target job's test results are uploaded.
    artifacts = runner.artifacts_dir(run.project.parent / "runner")
    assert (artifacts / "bundleops-unit-reports" / "junit.xml").is_file()
    harness.assert_published_unit_tests(artifacts / f"bundleops-{target}-test-results")


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
    assert not any(job_started(run.log, name) for name in ("dev", "staging", "prod"))


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
    ],
)
def test_the_runner_refuses_what_it_cannot_simulate(repository: str, ref: str, uses: list[dict], refused: str, tmp_path: Path) -> None:
    """A new third-party action or input in the templates fails loudly here instead of silently doing nothing."""
    with pytest.raises(ValueError, match=refused):
        runner.map_reference(repository, ref, uses, tmp_path / "library", tmp_path)
