"""One local workspace per worker for the conformance suite, each vendor's pipeline run once per
event and test run, and the table of what ran, printed at the end of the session."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.support import once
from tests.conformance.harness import EVENTS, VENDORS, RunCache, VendorRun, Workspace, comparable, served_by

_RUN_PROPERTY = "conformance run: "
_STEPS_RUN: dict[tuple[str, str], str] = {}


@pytest.fixture(scope="session")
def conformance_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    from bundleops.localworkspace import LocalWorkspace

    root = tmp_path_factory.mktemp("conformance-workspace")
    with LocalWorkspace(root / "state") as server:
        yield served_by(server, root / "bin")


@pytest.fixture(scope="session")
def conformance_runs(conformance_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> RunCache:
    """Every (vendor, event) pipeline, run on first use and shared by every assertion about it."""
    return RunCache(conformance_workspace, once.shared_folder(tmp_path_factory, "conformance-runs"))


def _format_steps(run: VendorRun) -> str:
    if run.returncode != 0:
        return f"FAILED (exit {run.returncode})"
    return " ".join(f"{step}:{target}" if target else step for step, target in comparable(run.steps)) or "(none)"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """The steps of each pipeline a test read travel on its report (user properties), so the
    process printing the summary has them, also when a pytest-xdist worker ran the test."""
    report = yield
    cache = getattr(item, "funcargs", {}).get("conformance_runs") if report.when == "call" else None
    if isinstance(cache, RunCache):
        report.user_properties.extend((f"{_RUN_PROPERTY}{vendor} {event}", _format_steps(run)) for (vendor, event), run in cache.runs.items())
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for name, steps in report.user_properties:
        if name.startswith(_RUN_PROPERTY):
            vendor, event = name[len(_RUN_PROPERTY):].split(" ")
            _STEPS_RUN[(vendor, event)] = steps


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _STEPS_RUN:
        return
    terminalreporter.section("bundleops conformance: CI system x event -> steps run (step:target)")
    width = max(len(vendor) for vendor in VENDORS)
    for event in EVENTS:
        terminalreporter.write_line(f"{event}:")
        for vendor in VENDORS:
            if (vendor, event) in _STEPS_RUN:
                terminalreporter.write_line(f"  {vendor:<{width}}  {_STEPS_RUN[(vendor, event)]}")
