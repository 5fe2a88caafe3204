"""Each test gets its own local workspace and the CLI shim, as the step tests do (their fixtures), and the SDK on it."""

from __future__ import annotations

import pytest

from tests.steps.conftest import env, local_workspace, shim_dir  # noqa: F401 - the step tests' fixtures, reused


@pytest.fixture
def sdk(local_workspace):  # noqa: ANN001,ANN201,F811 - LocalWorkspace -> WorkspaceClient
    """databricks-sdk as the CI service principal, on the test's own local workspace."""
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient(host=local_workspace.host, client_id=local_workspace.client_id, client_secret=local_workspace.client_secret, auth_type="oauth-m2m")
