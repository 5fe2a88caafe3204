"""One local workspace for the whole conformance suite, each vendor's pipeline run once per event,
and the table of what ran, printed at the end of the session."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.conformance.harness import EVENTS, VENDORS, RunCache, VendorRun, Workspace, comparable

_CACHES: list[RunCache] = []


@pytest.fixture(scope="session")
def conformance_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    from bundleops.localcli.shim import write_shim
    from bundleops.localworkspace import LocalWorkspace

    root = tmp_path_factory.mktemp("conformance-workspace")
    with LocalWorkspace(root / "state") as server:
        shim_dir = root / "bin"
        shim_dir.mkdir()
        write_shim(shim_dir)
        yield Workspace(server.host, server.client_id, server.client_secret, shim_dir)


@pytest.fixture(scope="session")
def conformance_runs(conformance_workspace: Workspace, tmp_path_factory: pytest.TempPathFactory) -> RunCache:
    """Every (vendor, event) pipeline, run on first use and shared by every assertion about it."""
    cache = RunCache(conformance_workspace, lambda name: tmp_path_factory.mktemp(name))
    _CACHES.append(cache)
    return cache


def _format_steps(run: VendorRun) -> str:
    if run.returncode != 0:
        return f"FAILED (exit {run.returncode})"
    return " ".join(f"{step}:{target}" if target else step for step, target in comparable(run.steps)) or "(none)"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    runs = {key: run for cache in _CACHES for key, run in cache.runs.items()}
    if not runs:
        return
    terminalreporter.section("bundleops conformance: CI system x event -> steps run (step:target)")
    width = max(len(vendor) for vendor in VENDORS)
    for event in EVENTS:
        terminalreporter.write_line(f"{event}:")
        for vendor in VENDORS:
            if (vendor, event) in runs:
                terminalreporter.write_line(f"  {vendor:<{width}}  {_format_steps(runs[(vendor, event)])}")
