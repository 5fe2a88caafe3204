"""The red path on the five CI systems: a pull request whose integration test fails.

Every CI runs the same steps as on the green path (publish included, after the failed test), the
pipeline ends red, and the failed test is in the report that CI itself shows: GitHub's uploaded
test-results artifact, Azure's PublishTestResults file, GitLab's `artifacts:reports:junit`,
Jenkins' `junit` step, Bitbucket's test-results folder (issue 20: GitLab and Bitbucket stopped at
the failed test, so their merge request showed no failed test).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from tests.conformance import harness
from tests.conformance.runners import github
from tests.conformance.test_azure_runner import recorded
from tests.conformance.test_jenkins_runner import calls_of, steps_named

pytestmark = pytest.mark.vendor_runner

FAILING_TEST = "test_revenue_is_never_negative"


def add_a_failing_integration_test(project: Path) -> None:
    (project / "tests" / "integration" / "test_red.py").write_text(f"def {FAILING_TEST}():\n    assert -5 >= 0\n", encoding="utf-8")


def _azure(run: harness.VendorRun) -> Path:
    (deployment,) = [job for job in recorded(run)["jobs"] if job["kind"] == "deployment"]
    published = [step for step in recorded(run)["steps"] if step["stage"] == "staging" and step["kind"] == "task:PublishTestResults@2"]
    assert published and published[0]["files"], "Azure's Tests tab gets no file"
    return Path(deployment["workspace"]) / "test-results" / "junit.xml"


def _jenkins(run: harness.VendorRun) -> Path:
    (junit,) = [call for call in steps_named(calls_of(run), "junit") if call["stage"] == "bundleops staging"]
    return Path(junit["cwd"]) / junit["testResults"]


# Where each CI system reads the test report its pull request shows.
NATIVE_REPORT: dict[str, Callable[[harness.VendorRun], Path]] = {
    "github": lambda run: github.artifacts_dir(run.project.parent / "runner") / "bundleops-staging-test-results" / "junit.xml",
    "azure": _azure,
    "gitlab": lambda run: run.project / ".gitlab-ci-local" / "artifacts" / "bundleops-staging-pr" / "test-results" / "junit.xml",
    "jenkins": _jenkins,
    "bitbucket": lambda run: run.project / "test-results" / "junit.xml",
}


@pytest.fixture
def own_workspace(fresh_local_workspace, tmp_path: Path) -> harness.Workspace:  # noqa: ANN001 - LocalWorkspace
    """A workspace of this test's own: the red pull request's deployment never meets another test's."""
    return harness.served_by(fresh_local_workspace, tmp_path / "bin")


@pytest.mark.parametrize("vendor", harness.VENDORS)
def test_a_failing_integration_test_is_published_and_fails_the_pipeline(vendor: str, own_workspace: harness.Workspace, tmp_path: Path) -> None:
    run = harness.run_vendor(vendor, "pull_request", own_workspace, tmp_path / "run", edit=add_a_failing_integration_test)
    assert run.returncode != 0, f"{vendor}: a failed integration test must fail the pipeline\n{run.log[-4000:]}"
    planned = harness.planned_trace(vendor, "pull_request", run.project)
    assert harness.comparable(run.steps) == planned, f"{vendor} ran {run.steps}; the plan, publish included, is {planned}\n{run.log[-4000:]}"
    report = NATIVE_REPORT[vendor](run)
    assert report.is_file(), f"{vendor}: no test report where the CI reads it ({report})\n{run.log[-4000:]}"
    text = report.read_text(encoding="utf-8")
    assert FAILING_TEST in text and "<failure" in text, f"{vendor}: the failed test is not in the report the CI shows"
    assert "integration tests failed: " in run.log and f"::{FAILING_TEST}: assert" in run.log
