"""The GitLab runner on its own: the consumer file of orders_pipeline, run by gitlab-ci-local against
the local workspace, runs what `bundleops plan` decides, keeps prod behind the manual job, stops
at a failing step, and installs only the pinned bundleops. (That nothing from a branch name or
merge-request title is executed is checked for all five CI systems in test_conformance.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance import harness

pytestmark = pytest.mark.vendor_runner


@pytest.mark.parametrize("event", harness.EVENTS)
def test_runs_the_planned_steps(event: str, conformance_runs: harness.RunCache) -> None:
    run = conformance_runs.get("gitlab", event)
    harness.assert_ran_the_plan(run)
    if event == "pull_request":
        assert "bundleops-prod" not in run.log, "a merge-request pipeline must not contain the prod job"
        assert "the plan targets 'staging', not dev: nothing to run here" in run.log
    else:
        assert "bundleops-prod" in run.log and "PASS  bundleops-prod" in run.log
    # --shell-isolation: the unit reports reach the target job only through the plan job's artifacts.
    # A merge request deploys its own deployment in bundleops-staging-pr; the shared staging job ends at once.
    _, target = harness.planned_steps("gitlab", event, run.project)
    job = f"bundleops-{target}-pr" if event == "pull_request" else f"bundleops-{target}"
    if event == "pull_request":
        assert "the plan's deployment is 'pr-7': another job runs it" in run.log
    harness.assert_published_unit_tests(run.project / ".gitlab-ci-local" / "artifacts" / job / "test-results")


def test_a_failing_plan_stops_the_pipeline(tmp_path: Path) -> None:
    run = harness.run_with_failing_plan("gitlab", tmp_path)
    assert "bundleops-staging starting" not in run.log and "bundleops-dev     starting" not in run.log


def test_jobs_install_the_pinned_bundleops_and_nothing_else(tmp_path: Path) -> None:
    """PIP_NO_INDEX: a job asking for another bundleops than the working tree fails at its install."""

    def ask_for_another_version(project: Path) -> None:
        consumer = project / ".gitlab-ci.yml"
        consumer.write_text(consumer.read_text(encoding="utf-8") + "    inputs:\n      bundleops_source: bundleops==99.0.0\n", encoding="utf-8")

    run = harness.run_vendor("gitlab", "push", harness.unreachable_workspace(tmp_path), tmp_path, edit=ask_for_another_version)
    assert run.returncode != 0 and run.steps == []
    assert "No matching distribution found for bundleops==99.0.0" in run.log
