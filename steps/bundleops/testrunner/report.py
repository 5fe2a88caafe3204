"""The run's JUnit report: one test case per phase, followed by pytest's own suite.

A broken fixture file, a Spark error while loading mock data or a failed clean-up are not test
failures pytest knows about, yet CI must show them: each phase is a test case of the suite
`bundleops.testrunner`, failing with the phase's message, next to the tests' results.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from bundleops.errors import ExitCode

SUITE = "bundleops.testrunner"
PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"


@dataclass(frozen=True)
class PhaseResult:
    name: str
    outcome: str  # PASSED, FAILED (a checked thing failed), ERROR (it crashed) or SKIPPED
    seconds: float = 0.0
    message: str = ""  # one line: why it did not pass
    details: str = ""  # the phase's log (and the traceback of a crash)
    code: ExitCode = ExitCode.OK

    @property
    def ok(self) -> bool:
        return self.outcome in (PASSED, SKIPPED)


def exit_code(phases: Sequence[PhaseResult]) -> int:
    """2 for bad input, else 3 for a crash outside the tests, else 1 for any failure, else 0."""
    codes = {p.code for p in phases if not p.ok}
    for code in (ExitCode.BAD_INPUT, ExitCode.EXTERNAL_FAILURE, ExitCode.CHECK_FAILED):
        if code in codes:
            return int(code)
    return int(ExitCode.CHECK_FAILED) if codes else int(ExitCode.OK)


def write_junit(phases: Sequence[PhaseResult], pytest_junit: Path | None, properties: dict[str, str], out: Path) -> None:
    """Write the phase suite plus pytest's suites (if pytest wrote a report) to `out`."""
    from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

    suite = TestSuite(SUITE)
    for key, value in properties.items():
        suite.add_property(key, value)
    for phase in phases:
        case = TestCase(phase.name, classname=SUITE, time=round(phase.seconds, 3))
        if phase.outcome == FAILED:
            case.result = [Failure(phase.message, type_="phase failed")]
        elif phase.outcome == ERROR:
            case.result = [Error(phase.message, type_="phase crashed")]
        elif phase.outcome == SKIPPED:
            case.result = [Skipped(phase.message)]
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
