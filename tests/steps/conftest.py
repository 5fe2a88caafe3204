"""Each step test gets its own local workspace (jobs and locks never leak between tests) and the CLI shim."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def local_workspace(fresh_local_workspace):  # noqa: ANN001,ANN201 - LocalWorkspace
    return fresh_local_workspace


@pytest.fixture
def shim_dir(tmp_path: Path) -> Path:
    from bundleops.localcli.shim import write_shim

    write_shim(tmp_path / "bin")
    return tmp_path / "bin"


@pytest.fixture
def env(local_workspace, shim_dir: Path) -> dict[str, str]:  # noqa: ANN001 - LocalWorkspace
    from tests.steps.project import step_env

    return step_env(local_workspace.env(), shim_dir)
