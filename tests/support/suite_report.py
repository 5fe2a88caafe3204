"""Where the suite's time goes, printed at the end of every run (CI included): per test folder, the
seconds its tests took (setup, call and teardown) and the CPU seconds they used, then the tests
that used the most CPU.

pytest's own `--durations=25` (in pyproject's addopts) lists the slowest tests by wall time. On a
2-core machine with three workers per core, wall time mostly says how crowded the machine was
while a test ran; CPU time says what the test costs every other test, so it is what to cut. A
test's CPU is the test process's own plus that of the child processes it waited for (the steps,
the vendor runners, the CLI stand-in when started directly, their JVMs): `getrusage` of self and
of children, before and after each phase. Servers that outlive a test (a fork server, a module's
local workspace) are counted to the test that ends them, or to nobody.

Both work under pytest-xdist: each worker measures its own tests and the figures travel in the
reports' `user_properties` to the controlling process, which prints the summary. A folder's
seconds add up every worker's time: with N workers the wall time is less.
"""

from __future__ import annotations

import resource
from collections import defaultdict
from dataclasses import dataclass
from typing import Generator

import pytest

CPU_PROPERTY = "cpu_seconds"
SLOWEST_BY_CPU = 15


@dataclass
class FolderTime:
    tests: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0


_FOLDERS: dict[str, FolderTime] = defaultdict(FolderTime)
_TESTS_CPU: dict[str, float] = defaultdict(float)
_cpu_at_last_report = 0.0


def folder_of(nodeid: str) -> str:
    """`tests/steps/test_deploy.py::test_x` -> `tests/steps`; a test file at the top stays itself."""
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else path


def cpu_seconds() -> float:
    """User and system CPU of this process and of every child process it has waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def pytest_runtest_logstart() -> None:
    global _cpu_at_last_report
    _cpu_at_last_report = cpu_seconds()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport() -> Generator[None, pytest.TestReport, None]:
    """Each phase's report carries the CPU used since the previous phase's (or the test's start)."""
    global _cpu_at_last_report
    outcome = yield
    now = cpu_seconds()
    report = outcome.get_result()
    report.user_properties = [*report.user_properties, (CPU_PROPERTY, now - _cpu_at_last_report)]  # the item's list is every phase's
    _cpu_at_last_report = now


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    folder = _FOLDERS[folder_of(report.nodeid)]
    folder.seconds += report.duration
    cpu = sum(value for name, value in report.user_properties if name == CPU_PROPERTY)
    folder.cpu_seconds += cpu
    _TESTS_CPU[report.nodeid] += cpu
    if report.when == "call" or (report.when == "setup" and report.skipped):
        folder.tests += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _FOLDERS:
        return
    total = sum(folder.seconds for folder in _FOLDERS.values()) or 1.0
    total_cpu = sum(folder.cpu_seconds for folder in _FOLDERS.values()) or 1.0
    terminalreporter.section("time per test folder (setup + call + teardown, summed over workers)")
    width = max(len(name) for name in _FOLDERS)
    terminalreporter.write_line(f"{'':<{width}}  {'':11}  {'wall':>8}  {'':6}  {'CPU':>8}  {'':6}")
    for name, folder in sorted(_FOLDERS.items(), key=lambda item: -item[1].cpu_seconds):
        terminalreporter.write_line(f"{name:<{width}}  {folder.tests:5d} tests  {folder.seconds:8.1f} s  {folder.seconds / total:6.1%}"
                                    f"  {folder.cpu_seconds:8.1f} s  {folder.cpu_seconds / total_cpu:6.1%}")
    terminalreporter.write_line(f"{'total':<{width}}  {sum(f.tests for f in _FOLDERS.values()):5d} tests  {total:8.1f} s  {'':6}  {total_cpu:8.1f} s")
    terminalreporter.section(f"most CPU: {SLOWEST_BY_CPU} tests (this process and the child processes it waited for)")
    for nodeid, cpu in sorted(_TESTS_CPU.items(), key=lambda item: -item[1])[:SLOWEST_BY_CPU]:
        terminalreporter.write_line(f"{cpu:8.2f}s  {nodeid}")
