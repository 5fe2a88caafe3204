"""The product's promise, checked on every commit: the five CI systems run the same steps.

For each event (a pull request from `feature/orders` into `main`, a push to `main`) every
vendor's consumer file runs on that vendor's local runner against one local workspace; each
step bundleops runs appends itself to a trace. The traces must be identical across vendors and
equal to what `bundleops plan` decides for that event. The table is printed at the end of the
session (see conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance.harness import (
    EVENTS,
    INJECTION_BRANCH,
    INJECTION_TITLE,
    VENDORS,
    RunCache,
    Workspace,
    assert_ran_the_plan,
    comparable,
    run_vendor,
)

pytestmark = pytest.mark.vendor_runner


@pytest.mark.parametrize("event", EVENTS)
def test_every_ci_system_runs_the_planned_steps(event: str, conformance_runs: RunCache) -> None:
    runs = {vendor: conformance_runs.get(vendor, event) for vendor in VENDORS}
    for run in runs.values():
        assert_ran_the_plan(run)
    traces = {vendor: comparable(run.steps) for vendor, run in runs.items()}
    assert len({tuple(trace) for trace in traces.values()}) == 1, traces
    assert ("deploy", "staging" if event == "pull_request" else "prod") in traces["github"], "both events must deploy"


@pytest.mark.parametrize("vendor", VENDORS)
def test_attacker_controlled_branch_and_title_are_never_executed(vendor: str, conformance_runs: RunCache) -> None:
    """A pull request whose branch name and title are shell code (the cached pull-request run's):
    nothing runs it, bundleops sees it verbatim."""
    run = conformance_runs.get(vendor, "pull_request")
    planted = sorted(str(path) for path in conformance_runs.workdir(vendor, "pull_request").rglob("pwned"))
    assert planted == [], f"{vendor} executed text from the branch name or pull-request title: {planted}"
    assert_ran_the_plan(run)
    assert f"branch={INJECTION_BRANCH} " in run.log, "bundleops must see the branch name verbatim"
