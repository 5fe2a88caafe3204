"""The run's JUnit report: the project's tests (pytest's suites) and the runner's phases.

The counts a CI shows are the project's tests. The phases (mock data, sweep, pytest, clean-up)
are not tests: each is recorded as a property of the suite `bundleops.testrunner`
(`bundleops.phase: phase 3: clean-up` = `passed | dropped spark_catalog.bundleops_test_42`). A phase that failed for a reason no test shows
(a broken fixture file, a Spark error while loading mock data, a failed clean-up) must still be
seen in CI, so it is also a test case of that suite, failing with the phase's message and named
as the phase; the pytest phase that failed because tests failed is not, or every failed test
would count twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from bundleops.errors import ExitCode

SUITE = "bundleops.testrunner"
PHASE_PROPERTY = "bundleops.phase: "
PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"


@dataclass(frozen=True)
class PhaseResult:
    name: str
    outcome: str  # PASSED, FAILED (a checked thing failed), ERROR (it crashed) or SKIPPED
    seconds: float = 0.0
    message: str = ""  # one line: why it did not pass
    details: str = ""  # the phase's log (and the traceback of a crash)
    code: ExitCode = ExitCode.OK
    shown_by_tests: bool = False  # it failed because tests failed: the tests' own cases say so

    @property
    def ok(self) -> bool:
        return self.outcome in (PASSED, SKIPPED)

    def record(self) -> str:
        """The phase as its property holds it, on one line (XML folds line breaks in attributes):
        `outcome[: message][ | its log, lines joined by "; "]`."""
        log = "; ".join(line.strip() for line in self.details.splitlines() if line.strip())
        return self.outcome + (f": {self.message}" if self.message else "") + (f" | {log}" if log else "")

    @property
    def is_a_test_case(self) -> bool:
        """Whether CI must see it as a failed case: it went wrong and no test case says why."""
        return not self.ok and not self.shown_by_tests


def exit_code(phases: Sequence[PhaseResult]) -> int:
    """2 for bad input, else 3 for a crash outside the tests, else 1 for any failure, else 0."""
    codes = {p.code for p in phases if not p.ok}
    for code in (ExitCode.BAD_INPUT, ExitCode.EXTERNAL_FAILURE, ExitCode.CHECK_FAILED):
        if code in codes:
            return int(code)
    return int(ExitCode.CHECK_FAILED) if codes else int(ExitCode.OK)


def write_junit(phases: Sequence[PhaseResult], pytest_junit: Path | None, properties: dict[str, str], out: Path) -> None:
    """Write the phase suite plus pytest's suites (if pytest wrote a report) to `out`."""
    from junitparser import Error, Failure, JUnitXml, TestCase, TestSuite

    suite = TestSuite(SUITE)
    for key, value in properties.items():
        suite.add_property(key, value)
    for phase in phases:
        suite.add_property(PHASE_PROPERTY + phase.name, phase.record())
        if not phase.is_a_test_case:
            continue
        case = TestCase(phase.name, classname=SUITE, time=round(phase.seconds, 3))
        if phase.outcome == FAILED:
            case.result = [Failure(phase.message, type_="phase failed")]
        elif phase.outcome == ERROR:
            case.result = [Error(phase.message, type_="phase crashed")]
        if phase.details:
            case.system_out = phase.details
        suite.add_testcase(case)
    suite.update_statistics()
    document = JUnitXml()
    document.add_testsuite(suite)
    if pytest_junit is not None and pytest_junit.is_file():
        for pytest_suite in _suites(pytest_junit):
            document.add_testsuite(pytest_suite)
    document.update_statistics()
    out.parent.mkdir(parents=True, exist_ok=True)
    document.write(str(out), pretty=True)


def _suites(path: Path) -> list:
    from junitparser import JUnitXml, TestSuite

    parsed = JUnitXml.fromfile(str(path))
    return [parsed] if isinstance(parsed, TestSuite) else list(parsed)
