"""Merge the unit (CI runner) and integration (workspace) JUnit reports into one file.

Every CI system and SonarQube read one JUnit file more reliably than several, but a reader must
still tell a unit failure from an integration failure: each suite's name is prefixed with its
origin (`unit: pytest`, `integration: pytest`).
Test case names and class names are left alone, because SonarQube and Jenkins use the class
name to find the test file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from bundleops.errors import BundleopsError, ExitCode

if TYPE_CHECKING:
    from junitparser import JUnitXml, TestCase

ORIGIN_SEPARATOR = ": "
# pytest failure text ends with the line that failed: `tests/unit/test_x.py:12: AssertionError`.
_LOCATION = re.compile(r"^(?P<file>[^\s:]+\.py):(?P<line>\d+):", re.MULTILINE)


@dataclass(frozen=True)
class Report:
    origin: str  # "unit" or "integration": the prefix of every suite name from this file
    path: Path


@dataclass(frozen=True)
class FailedTest:
    origin: str
    suite: str
    classname: str
    name: str
    kind: str  # "failure" or "error"
    message: str
    text: str
    file: str | None = None  # project-relative, when it could be located
    line: int | None = None


@dataclass(frozen=True)
class Totals:
    tests: int
    failures: int
    errors: int
    skipped: int
    time: float

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - self.skipped

    def describe(self) -> str:
        return f"{self.tests} total, {self.passed} passed, {self.failures} failed, {self.errors} errors, {self.skipped} skipped"


def merge(reports: Sequence[Report]) -> "JUnitXml":
    """One <testsuites> document holding every suite of every report, names prefixed by origin."""
    from junitparser import JUnitXml

    merged = JUnitXml()
    for report in reports:
        for suite in _suites(report.path):
            suite.name = f"{report.origin}{ORIGIN_SEPARATOR}{suite.name or 'tests'}"
            suite.update_statistics()
            merged.add_testsuite(suite)
    merged.update_statistics()
    return merged


def _suites(path: Path) -> list:
    from junitparser import JUnitXml, JUnitXmlError, TestSuite
    from xml.etree.ElementTree import ParseError

    try:
        document = JUnitXml.fromfile(str(path))
    except (ParseError, JUnitXmlError, OSError) as exc:
        raise BundleopsError(
            f"{path}: not a readable JUnit XML report ({exc})",
            fix="pass the JUnit XML file pytest wrote (--junitxml), or check the step that produced it",
            code=ExitCode.BAD_INPUT,
        ) from None
    if isinstance(document, TestSuite):
        return [document]
    return list(document)


def totals(document) -> Totals:
    """The counts of a merged document or of one suite (both carry the same attributes)."""
    return Totals(
        tests=int(document.tests or 0),
        failures=int(document.failures or 0),
        errors=int(document.errors or 0),
        skipped=int(document.skipped or 0),
        time=float(document.time or 0.0),
    )


def totals_by_origin(document: "JUnitXml") -> dict[str, Totals]:
    """Counts per origin (`unit`, `integration`), in the order the origins were merged."""
    by_origin: dict[str, list[Totals]] = {}
    for suite in document:
        by_origin.setdefault(_origin(suite), []).append(totals(suite))
    return {
        origin: Totals(*(sum(getattr(t, name) for t in parts) for name in ("tests", "failures", "errors", "skipped", "time")))
        for origin, parts in by_origin.items()
    }


def failed_tests(document: "JUnitXml", locate: Callable[[str], str | None]) -> list[FailedTest]:
    """Every failed or errored test case, with the project file and line of the failure if known.

    `locate` maps a path recorded in the report (possibly a workspace path) to a project path.
    """
    from junitparser import Error, Failure

    found: list[FailedTest] = []
    for suite in document:
        origin = _origin(suite)
        for case in suite:
            for result in case.result:
                if isinstance(result, (Failure, Error)):
                    text = result.text or ""
                    file, line = _location(case, text, locate)
                    found.append(FailedTest(
                        origin=origin,
                        suite=suite.name or "",
                        classname=case.classname or "",
                        name=case.name or "",
                        kind="error" if isinstance(result, Error) else "failure",
                        message=(result.message or "").strip() or _first_line(text),
                        text=text,
                        file=file,
                        line=line,
                    ))
    return found


def _origin(suite) -> str:
    origin, separator, _ = (suite.name or "").partition(ORIGIN_SEPARATOR)
    return origin if separator else ""


def _location(case: "TestCase", text: str, locate: Callable[[str], str | None]) -> tuple[str | None, int | None]:
    """Where the test failed: the last traceback line in a project file, else the test module."""
    for match in reversed(list(_LOCATION.finditer(text))):
        file = locate(match.group("file"))
        if file:
            return file, int(match.group("line"))
    # xunit1 reports carry file and line attributes; junitparser exposes no accessor for them.
    recorded = case._elem.get("file")
    if recorded:
        file = locate(recorded)
        line = case._elem.get("line")
        if file:
            return file, int(line) + 1 if line and line.isdigit() else None
    if case.classname:
        file = locate(case.classname.replace(".", "/") + ".py")
        if file:
            return file, None
    return None, None


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
