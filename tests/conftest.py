"""Fixtures shared by every test folder: one embedded local workspace per test session."""

from __future__ import annotations

from typing import Iterator

import pytest


@pytest.fixture(scope="session")
def local_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator["LocalWorkspace"]:  # noqa: F821
    from bundleops.localworkspace import LocalWorkspace

    with LocalWorkspace(tmp_path_factory.mktemp("local-workspace")) as workspace:
        yield workspace


@pytest.fixture
def databricks_env(local_workspace) -> dict[str, str]:  # noqa: ANN001 - LocalWorkspace, imported lazily
    """DATABRICKS_* for the local workspace's CI service principal (oauth-m2m)."""
    return local_workspace.env()
