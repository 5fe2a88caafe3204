"""Deploy tests share bundle names and root paths, so each gets a workspace of its own."""

from __future__ import annotations

import pytest


@pytest.fixture
def local_workspace(fresh_local_workspace):  # noqa: ANN001,ANN201 - LocalWorkspace
    return fresh_local_workspace
