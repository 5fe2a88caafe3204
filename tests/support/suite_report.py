"""Where the suite's time goes, printed at the end of every run (CI included): seconds per test
folder, summed over setup, call and teardown of its tests.

pytest's own `--durations=25` (in pyproject's addopts) lists the slowest tests; this table says
which part of the house they belong to. Both work under pytest-xdist: the workers' reports reach
the controlling process, which prints the summary, so the figures are per test, not per worker.
A folder's seconds add up every worker's time: with N workers the wall time is less.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pytest


@dataclass
class FolderTime:
    tests: int = 0
    seconds: float = 0.0


_FOLDERS: dict[str, FolderTime] = defaultdict(FolderTime)


def folder_of(nodeid: str) -> str:
    """`tests/steps/test_deploy.py::test_x` -> `tests/steps`; a test file at the top stays itself."""
    path = nodeid.split("::", 1)[0]
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else path


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    folder = _FOLDERS[folder_of(report.nodeid)]
    folder.seconds += report.duration
    if report.when == "call" or (report.when == "setup" and report.skipped):
        folder.tests += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _FOLDERS:
        return
    total = sum(folder.seconds for folder in _FOLDERS.values()) or 1.0
    terminalreporter.section("time per test folder (setup + call + teardown, summed over workers)")
    width = max(len(name) for name in _FOLDERS)
    for name, folder in sorted(_FOLDERS.items(), key=lambda item: -item[1].seconds):
        terminalreporter.write_line(f"{name:<{width}}  {folder.tests:5d} tests  {folder.seconds:8.1f} s  {folder.seconds / total:6.1%}")
    terminalreporter.write_line(f"{'total':<{width}}  {sum(f.tests for f in _FOLDERS.values()):5d} tests  {total:8.1f} s")
