"""The end of a pull request on the five CI systems (issue 13): its own staging deployment goes.

Where the CI system runs something when a pull request closes (GitHub, GitLab), that run plans
`destroy` and removes exactly that deployment. Where it cannot (Azure, Jenkins, Bitbucket), the
suite states why, and every CI system's scheduled sweep removes a deployment past its age while
leaving a fresh one, a folder without a record of ours and the shared target alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance import deployments, harness

pytestmark = pytest.mark.vendor_runner

# Each vendor's sweep gets a pull request of its own, so one vendor's sweep never removes another's.
SWEPT = {vendor: 90 + index for index, vendor in enumerate(harness.VENDORS)}
KEPT = 80


@pytest.fixture(scope="module")
def fresh_deployment(conformance_workspace: harness.Workspace, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A pull request deployed a moment ago: no close event and no sweep may touch it."""
    deployments.deploy_pull_request(conformance_workspace, tmp_path_factory.mktemp("kept"), KEPT)
    deployments.foreign_folder(conformance_workspace, "not-ours")
    return f"pr-{KEPT}"


def test_every_ci_system_either_has_a_close_event_or_says_why_not() -> None:
    assert set(harness.CLOSE_EVENTS) | set(harness.NO_CLOSE_EVENT) == set(harness.VENDORS)
    assert not set(harness.CLOSE_EVENTS) & set(harness.NO_CLOSE_EVENT)
    for vendor, reason in harness.NO_CLOSE_EVENT.items():
        assert "sweep" not in reason and len(reason) > 40, f"{vendor}: say why no event exists there"


@pytest.mark.parametrize("vendor", sorted(harness.CLOSE_EVENTS))
def test_closing_a_pull_request_destroys_exactly_its_deployment(
    vendor: str, conformance_workspace: harness.Workspace, fresh_deployment: str, tmp_path: Path
) -> None:
    own = f"pr-{harness.PR_NUMBER}"
    deployments.deploy_pull_request(conformance_workspace, tmp_path / "arrange", harness.PR_NUMBER)
    assert deployments.jobs_named(conformance_workspace, f"[{own}]"), "the arranged deployment has jobs"
    run = harness.run_vendor(vendor, harness.CLOSED, conformance_workspace, tmp_path / "close")
    assert run.returncode == 0, f"{vendor} close failed:\n{run.log[-6000:]}"
    assert harness.comparable(run.steps) == [("destroy", "staging")], run.steps
    assert f"destroyed the pull-request deployment {own}" in run.log
    remaining = deployments.pull_request_deployments(conformance_workspace)
    assert own not in remaining and fresh_deployment in remaining and "not-ours" in remaining
    assert deployments.jobs_named(conformance_workspace, f"[{own}]") == [], "its jobs are gone"
    assert deployments.jobs_named(conformance_workspace, f"[{fresh_deployment}]"), "another pull request's jobs stay"


@pytest.mark.parametrize("vendor", harness.VENDORS)
def test_the_scheduled_sweep_removes_what_no_event_removed(
    vendor: str, conformance_workspace: harness.Workspace, fresh_deployment: str, tmp_path: Path
) -> None:
    number = SWEPT[vendor]
    deployments.deploy_pull_request(conformance_workspace, tmp_path / "arrange", number)
    deployments.backdate(conformance_workspace, number, days=8)
    run = harness.run_vendor(vendor, harness.SCHEDULE, conformance_workspace, tmp_path / "sweep")
    assert run.returncode == 0, f"{vendor} sweep failed:\n{run.log[-6000:]}"
    assert harness.comparable(run.steps) == [("sweep", "staging")], run.steps
    assert f"sweep removed 1 pull-request deployment(s): pr-{number}" in run.log, run.log[-4000:]
    remaining = deployments.pull_request_deployments(conformance_workspace)
    assert f"pr-{number}" not in remaining
    assert {fresh_deployment, "not-ours"} <= set(remaining), "a fresh deployment and a folder without our record stay"
    assert deployments.jobs_named(conformance_workspace, f"[pr-{number}]") == []
