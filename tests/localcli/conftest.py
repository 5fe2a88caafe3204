"""Deploy tests share bundle names and root paths, so each gets a workspace of its own (it starts in milliseconds)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest


@pytest.fixture
def local_workspace(tmp_path: Path) -> Iterator["LocalWorkspace"]:  # noqa: F821
    from bundleops.localworkspace import LocalWorkspace

    with LocalWorkspace(tmp_path / "local-workspace") as workspace:
        yield workspace
