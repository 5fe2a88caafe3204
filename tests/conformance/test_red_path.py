"""The red path on the five CI systems: a pull request whose unit test fails, whose deploy fails,
or whose integration test fails.

Every CI stops at the failed step, still runs publish (so every report that exists reaches the
pull request), and ends red; the trace is the same on all five: the planned steps up to the
failed one, then publish. The failed test is in the report that CI itself shows: GitHub's
uploaded test-results artifact, Azure's PublishTestResults file, GitLab's `artifacts:reports:junit`,
Jenkins' `junit` step, Bitbucket's test-results folder (issue 20: GitLab and Bitbucket stopped at
the failed integration test, and failed unit tests reached no report on GitHub, GitLab, Jenkins
or Bitbucket).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from tests.conformance import harness
from tests.conformance.runners import github
from tests.conformance.test_azure_runner import recorded
from tests.conformance.test_jenkins_runner import calls_of, steps_named
from tests.support.faultproxy import Rule, Status

pytestmark = pytest.mark.vendor_runner

FAILING_INTEGRATION_TEST = "test_revenue_is_never_negative"
FAILING_UNIT_TEST = "test_refunds_are_never_revenue"


def add_a_failing_integration_test(project: Path) -> None:
    (project / "tests" / "integration" / "test_red.py").write_text(f"def {FAILING_INTEGRATION_TEST}():\n    assert -5 >= 0\n", encoding="utf-8")


def add_a_failing_unit_test(project: Path) -> None:
    (project / "tests" / "unit" / "test_red.py").write_text(f"def {FAILING_UNIT_TEST}():\n    assert 'refund' == 'revenue'\n", encoding="utf-8")


@dataclass(frozen=True)
class Red:
    """One way a pull request's pipeline goes red."""

    failed_step: str
    edit: Callable[[Path], None] | None
    failed_test: str | None  # the test the CI's own report must show failed; None: the unit tests passed
    job: str  # the job that runs the failed step and publish: "plan" (with the unit tests) or "target"
    refused: tuple[Rule, ...] = ()  # what the workspace refuses during the run


REDS = {
    "failing unit test": Red("unit", add_a_failing_unit_test, FAILING_UNIT_TEST, "plan"),
    "failed deploy": Red("deploy", None, None, "target", (Rule("POST", r"/api/2\.\d/jobs/create", Status(400)),)),
    "failing integration test": Red("test", add_a_failing_integration_test, FAILING_INTEGRATION_TEST, "target"),
}


def _azure(run: harness.VendorRun, job: str) -> Path:
    stage = "plan" if job == "plan" else "staging"
    published = [step for step in recorded(run)["steps"] if step["stage"] == stage and step["kind"] == "task:PublishTestResults@2" and step["files"]]
    assert published, f"Azure's Tests tab gets no file from stage {stage}"
    return Path(published[0]["files"][0])


def _jenkins(run: harness.VendorRun, job: str) -> Path:
    stage = "bundleops unit" if job == "plan" else "bundleops staging"
    (junit,) = [call for call in steps_named(calls_of(run), "junit") if call["stage"] == stage]
    return Path(junit["cwd"]) / junit["testResults"]


def _github(run: harness.VendorRun, job: str) -> Path:
    artifact = "bundleops-unit-test-results-root" if job == "plan" else "bundleops-staging-test-results-root"
    return github.artifacts_dir(run.project.parent / "runner") / artifact / "junit.xml"


def _gitlab(run: harness.VendorRun, job: str) -> Path:
    return run.project / ".gitlab-ci-local" / "artifacts" / ("bundleops-plan" if job == "plan" else "bundleops-staging-pr") / "test-results" / "junit.xml"


# Where each CI system reads the test report its pull request shows, for the job that went red.
NATIVE_REPORT: dict[str, Callable[[harness.VendorRun, str], Path]] = {
    "github": _github,
    "azure": _azure,
    "gitlab": _gitlab,
    "jenkins": _jenkins,
    "bitbucket": lambda run, job: run.project / "test-results" / "junit.xml",
}


def red_trace(vendor: str, project: Path, failed_step: str) -> list[tuple[str, str | None]]:
    """The planned steps up to the failed one, then publish."""
    planned = harness.planned_trace(vendor, "pull_request", project)
    names = [step for step, _ in planned]
    assert failed_step in names and "publish" in names, planned
    return planned[: names.index(failed_step) + 1] + [entry for entry in planned if entry[0] == "publish"]


@pytest.mark.parametrize("vendor", harness.VENDORS)
@pytest.mark.parametrize("scenario", REDS)
def test_a_red_pull_request_publishes_what_ran_and_fails_the_pipeline(scenario: str, vendor: str, fresh_local_workspace, tmp_path: Path) -> None:  # noqa: ANN001
    red = REDS[scenario]
    with harness.behind_proxy(fresh_local_workspace, tmp_path / "bin", list(red.refused)) as (workspace, _):
        run = harness.run_vendor(vendor, "pull_request", workspace, tmp_path / "run", edit=red.edit)
    assert run.returncode != 0, f"{vendor}: a {scenario} must fail the pipeline\n{run.log[-4000:]}"
    assert "Traceback" not in run.log, f"{vendor}: a step ended with a traceback\n{run.log[-4000:]}"
    expected = red_trace(vendor, run.project, red.failed_step)
    assert harness.comparable(run.steps) == expected, f"{vendor} ran {run.steps}; after a {scenario} the red path is {expected}\n{run.log[-4000:]}"
    report = NATIVE_REPORT[vendor](run, red.job)
    assert report.is_file(), f"{vendor}: no test report where the CI reads it ({report})\n{run.log[-4000:]}"
    text = report.read_text(encoding="utf-8")
    assert '<testsuite name="unit: ' in text, f"{vendor}: the unit tests are not in the report the CI shows"
    if red.failed_test:
        assert red.failed_test in text and "<failure" in text, f"{vendor}: the failed test is not in the report the CI shows"
        assert f"::{red.failed_test} failure: AssertionError: assert" in run.log or f"::{red.failed_test}: assert" in run.log, f"{vendor}: the log does not name the failed test\n{run.log[-4000:]}"
    else:
        assert "<failure" not in text, f"{vendor}: a report with a failure, though every test passed"
