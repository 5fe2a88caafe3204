"""Many bundles in one repository, on each CI system (issue 23): a pull request runs the bundles it
changed, the bundles whose `depends_on` names a changed shared file, and no other; the bundles run
side by side, and one failing bundle fails the pipeline while the others finish.

The expected traces are written out by hand, so each CI system is held to the same list: the
traces are identical across the five.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance import harness
from tests.conformance.monorepo import run_pull_request

pytestmark = pytest.mark.vendor_runner

ORDERS = ("bundles/orders", "validate", "staging")
BILLING = ("bundles/billing", "validate", "staging")


@pytest.mark.parametrize("vendor", harness.VENDORS)
def test_a_change_in_one_bundle_runs_that_bundle(vendor: str, conformance_workspace: harness.Workspace, tmp_path: Path) -> None:
    result = run_pull_request(vendor, conformance_workspace, tmp_path, ["bundles/orders/databricks.yml"])
    assert result.run.returncode == 0, result.run.log[-6000:]
    assert result.trace == [ORDERS], result.run.log[-6000:]


@pytest.mark.parametrize("vendor", harness.VENDORS)
def test_a_change_in_shared_code_runs_the_bundles_that_depend_on_it(vendor: str, conformance_workspace: harness.Workspace, tmp_path: Path) -> None:
    result = run_pull_request(vendor, conformance_workspace, tmp_path, ["shared/helpers.py"])
    assert result.run.returncode == 0, result.run.log[-6000:]
    assert result.trace == [BILLING, ORDERS], result.run.log[-6000:]


@pytest.mark.parametrize("vendor", harness.VENDORS)
def test_one_failing_bundle_fails_the_pipeline_and_the_other_still_runs(vendor: str, conformance_workspace: harness.Workspace, tmp_path: Path) -> None:
    """billing's databricks.yml includes files that do not exist (validate fails); orders, selected
    by the same shared change, still validates, and the pipeline fails naming billing."""
    def break_billing(repository: Path) -> None:
        path = repository / "bundles" / "billing" / "databricks.yml"
        text = path.read_text(encoding="utf-8")
        assert "include:\n  - resources/*.yml\n" in text
        path.write_text(text.replace("include:\n  - resources/*.yml\n", "include:\n  - resources/*.yml\n  - resources/missing.yml\n"), encoding="utf-8")

    result = run_pull_request(vendor, conformance_workspace, tmp_path, ["shared/helpers.py"], edit=break_billing)
    assert result.run.returncode != 0, result.run.log[-6000:]
    assert result.trace == [BILLING, ORDERS], result.run.log[-6000:]
    assert "resources/missing.yml defined in 'include' section does not match any files" in result.run.log  # billing's failure
    assert "bundle orders is valid for staging" in result.run.log, "orders finished, and passed"
