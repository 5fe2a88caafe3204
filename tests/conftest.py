"""Fixtures shared by every test folder: the embedded local workspace.

`local_workspace` is one per test session; folders whose tests share names and paths (deploys of
the same bundle) override it with `fresh_local_workspace`, one per test (it starts in milliseconds).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import pytest

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from bundleops.localworkspace import LocalWorkspace


def _serve(state_dir: Path) -> Iterator[LocalWorkspace]:
    from bundleops.localworkspace import LocalWorkspace

    with LocalWorkspace(state_dir) as workspace:
        yield workspace


@pytest.fixture(scope="session")
def local_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWorkspace]:
    yield from _serve(tmp_path_factory.mktemp("local-workspace"))


@pytest.fixture
def fresh_local_workspace(tmp_path: Path) -> Iterator[LocalWorkspace]:
    yield from _serve(tmp_path / "local-workspace")


@pytest.fixture
def databricks_env(local_workspace: LocalWorkspace) -> dict[str, str]:
    """DATABRICKS_* for the local workspace's CI service principal (oauth-m2m)."""
    return local_workspace.env()


@pytest.fixture
def client(local_workspace: LocalWorkspace) -> WorkspaceClient:
    """databricks-sdk as the CI service principal, over real HTTP to the (possibly per-test) local workspace."""
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient(host=local_workspace.host, client_id=local_workspace.client_id, client_secret=local_workspace.client_secret, auth_type="oauth-m2m")



pytest_plugins = ["tests.support.suite_report"]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: three workers per core. Most tests spend much of their time waiting on child
    processes (the CLI stand-in, the local workspace's runs, vendor runners), so one worker per
    core leaves the cores idle (measured on 2 cores: 4 workers 665 s, 6 workers 585 s, the
    whole suite); BUNDLEOPS_TEST_WORKERS overrides."""
    import os

    return int(os.environ.get("BUNDLEOPS_TEST_WORKERS") or 3 * (os.cpu_count() or 1))


# Heaviest first: a long test that starts last keeps every other worker waiting for it. With
# `--maxschedchunk=2` (pyproject's addopts) a worker holds at most two tests at a time, so the order
# is the order tests start in (pytest-xdist's default hands each worker a quarter of its share of
# consecutive tests up front: one worker got 54 of the heaviest at once, and the run's last minutes
# were one demo behind them). The wheel tests lead: they are one long chain (the wheel, then each
# clean virtualenv, then the demo in it).
_HEAVY_FIRST = (("wheel",), ("vendor_runner", "spark"), ("integration",))


def _weight(item: pytest.Item) -> int:
    for weight, markers in enumerate(_HEAVY_FIRST):
        if any(item.get_closest_marker(marker) for marker in markers):
            return weight
    return len(_HEAVY_FIRST)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the run heaviest first (a stable sort: within a weight, pytest's own order, which
    keeps the tests of a module and of a fixture's parameter together), so the light tests fill
    the workers at the end instead of one slow test running alone."""
    items.sort(key=_weight)
