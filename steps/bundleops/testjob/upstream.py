"""A task the tests depend on failed, so the tests never ran: reported as a failed test case.

A test job may prepare what its tests read in tasks of its own before the test runner's task: a
pipeline update (the Lakeflow template's `refresh`), a load. When such a task fails (a pipeline's
`expect_or_fail` expectation, an error in the project's code), the runner's task ends
UPSTREAM_FAILED and writes no report. That is the project failing its checks, not the platform:
the step exits 1 like a failed test, and a JUnit report with one failed case per such task puts
the reason where every CI system shows test results (`bundleops publish` merges it). A task that
failed with no task waiting on it (the runner itself crashed) stays a broken run (exit 3).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from bundleops.testjob.run_state import result_state

if TYPE_CHECKING:
    from databricks.sdk.service.jobs import Run

SUITE = "bundleops.testjob"


def failed_before_the_tests(run: Run) -> list[str]:
    """The keys of tasks that ended FAILED while a task depending on them ended UPSTREAM_FAILED."""
    tasks = run.tasks or []
    blocked = {dependency.task_key for task in tasks if result_state(task) == "UPSTREAM_FAILED" for dependency in task.depends_on or []}
    return [task.task_key for task in tasks if result_state(task) == "FAILED" and task.task_key in blocked and task.task_key]


def write_report(folder: Path, errors: Mapping[str, str]) -> Path:
    """junit.xml with one failed case per task (its error as the message), where the run's report would be."""
    from junitparser import Failure, JUnitXml, TestCase, TestSuite

    suite = TestSuite(SUITE)
    for key, error in errors.items():
        case = TestCase(f"task {key}", classname="test job")
        case.result = [Failure(message=error or "the task failed", type_="TaskFailed")]
        suite.add_testcase(case)
    document = JUnitXml()
    document.add_testsuite(suite)
    path = folder / "junit.xml"
    document.write(str(path))
    return path
