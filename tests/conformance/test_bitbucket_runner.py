"""The Bitbucket runner on its own: the consumer file of orders_pipeline, its shared-pipeline import
resolved from the working tree, run by bb-run in host mode against the local workspace, runs what
`bundleops plan` decides, has prod only on `main`, stops at a failing step, and executes nothing
from a branch name or pull-request title.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance import harness
from tests.conformance.test_gitlab_runner import (
    assert_branch_and_title_stay_data,
    assert_published_unit_tests,
    assert_ran_the_plan,
    run_example,
    run_with_failing_plan,
)

pytestmark = pytest.mark.vendor_runner


@pytest.mark.parametrize("event", harness.EVENTS)
def test_runs_the_planned_steps(event: str, conformance_workspace: harness.Workspace, tmp_path: Path) -> None:
    run = run_example("bitbucket", event, conformance_workspace, tmp_path)
    assert_ran_the_plan(run)
    if event == "pull_request":
        assert "Target      pull-requests.**" in run.log_tail
        assert "bundleops prod" not in run.log_tail, "a pull-request pipeline must not contain the prod step"
        assert "the plan targets 'staging', not dev: nothing to run here" in run.log_tail
    else:
        assert "Target      branches.main" in run.log_tail
        assert "ok  bundleops prod" in run.log_tail
    assert_published_unit_tests(run.project / "test-results")


def test_branch_name_and_title_are_data_never_code(conformance_workspace: harness.Workspace, tmp_path: Path) -> None:
    assert_branch_and_title_stay_data("bitbucket", conformance_workspace, tmp_path)


def test_a_failing_plan_stops_the_pipeline(tmp_path: Path) -> None:
    assert "Step 2/3" not in run_with_failing_plan("bitbucket", tmp_path).log_tail
