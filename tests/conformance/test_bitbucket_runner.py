"""The Bitbucket runner on its own: the consumer file of orders_pipeline, its shared-pipeline import
resolved from the working tree, run by bb-run in host mode against the local workspace, runs what
`bundleops plan` decides, has prod only on `main`, and stops at a failing step. (That nothing from a
branch name or pull-request title is executed is checked for all five CI systems in test_conformance.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance import harness

pytestmark = pytest.mark.vendor_runner


@pytest.mark.parametrize("event", harness.EVENTS)
def test_runs_the_planned_steps(event: str, conformance_runs: harness.RunCache) -> None:
    run = conformance_runs.get("bitbucket", event)
    harness.assert_ran_the_plan(run)
    if event == "pull_request":
        assert "Target      pull-requests.**" in run.log
        assert "bundleops prod" not in run.log, "a pull-request pipeline must not contain the prod step"
        assert "the plan targets 'staging', not dev: nothing to run here" in run.log
    else:
        assert "Target      branches.main" in run.log
        assert "ok  bundleops prod" in run.log
    harness.assert_published_unit_tests(run.project / "test-results")


def test_a_failing_plan_stops_the_pipeline(tmp_path: Path) -> None:
    assert "Step 2/3" not in harness.run_with_failing_plan("bitbucket", tmp_path).log
