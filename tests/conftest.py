"""Fixtures shared by every test folder: the embedded local workspace.

`local_workspace` is one per test session; folders whose tests share names and paths (deploys of
the same bundle) override it with `fresh_local_workspace`, one per test (it starts in milliseconds).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

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
# `--dist loadscope --no-loadscope-reorder` (pyproject's addopts) pytest-xdist hands out work units
# (a test, or a group of _SHARED_FIXTURE_GROUPS) in collection order, one more to a worker left
# with two tests or fewer, so the order is the order tests start in (its plain `load` hands each
# worker a quarter of its share of consecutive tests up front: one worker got 54 of the heaviest
# at once, and the run's last minutes were one demo behind them; the reorder would put the biggest
# groups first). The wheel tests lead: they are one long chain (the wheel, then each clean
# virtualenv, then the demo in it).
_HEAVY_FIRST = (("wheel",), ("vendor_runner", "spark"), ("integration",))


def _weight(item: pytest.Item) -> int:
    for weight, markers in enumerate(_HEAVY_FIRST):
        if any(item.get_closest_marker(marker) for marker in markers):
            return weight
    return len(_HEAVY_FIRST)


# Modules whose tests share one costly fixture: local Spark (a JVM per worker), a module's local
# workspace that runs pipeline updates on Spark, and the module stories (deploys through the local
# workspace) whose tests then only read what the story left. pytest-xdist makes a module- or
# session-scoped fixture once per worker that runs one of its tests (the history story ran twice,
# the Spark tables three times), so each group below runs on one worker. pytest-xdist's own
# `xdist_group` marker cannot do it: under pytest 9 it no longer changes the node ids it groups by.
_SHARED_FIXTURE_GROUPS = {
    "tests/testrunner/test_runner.py": "local_spark",
    "tests/testrunner/test_checks.py": "local_spark",
    "tests/testrunner/test_checks_in_runner.py": "local_spark",
    "tests/localworkspace/test_pipeline_updates.py": "the pipeline updates' local workspace",
    "tests/history/test_history_and_rollback.py": "the history story",
    "tests/conformance/test_operations.py": "the operations' prod deployment",
    "tests/conformance/test_pull_request_end.py": "the pull-request end's deployment",
}


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`--dist loadscope` (pyproject's addopts) with a scope per group of _SHARED_FIXTURE_GROUPS and
    one per test elsewhere; any other --dist is pytest-xdist's own."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SharedFixtureScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _SHARED_FIXTURE_GROUPS.get(nodeid.split("::", 1)[0], nodeid)

    return SharedFixtureScheduling(config, log)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Order the run heaviest first (a stable sort: within a weight, pytest's own order, which
    keeps the tests of a module and of a fixture's parameter together), so the light tests fill
    the workers at the end instead of one slow test running alone."""
    items.sort(key=_weight)
