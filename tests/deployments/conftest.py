"""Each test gets its own local workspace and the CLI shim, as the step tests do."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def shim_dir(tmp_path: Path) -> Path:
    from bundleops.localcli.shim import write_shim

    write_shim(tmp_path / "bin")
    return tmp_path / "bin"


@pytest.fixture
def env(fresh_local_workspace, shim_dir: Path) -> dict[str, str]:  # noqa: ANN001 - LocalWorkspace
    from tests.steps.project import step_env

    return step_env(fresh_local_workspace.env(), shim_dir)


@pytest.fixture
def sdk(fresh_local_workspace):  # noqa: ANN001,ANN201 - LocalWorkspace -> WorkspaceClient
    """databricks-sdk as the CI service principal, on the test's own local workspace."""
    from databricks.sdk import WorkspaceClient

    workspace = fresh_local_workspace
    return WorkspaceClient(host=workspace.host, client_id=workspace.client_id, client_secret=workspace.client_secret, auth_type="oauth-m2m")
