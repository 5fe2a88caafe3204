"""`/Workspace/...` and `/Volumes/...` as local paths, for code running as a local workspace task.

Kept free of any server import: the test runner calls it inside the task process, where only
the two environment variables of `layout.Layout.subprocess_env` tell where the folders are.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from bundleops.errors import BundleopsError
from bundleops.localworkspace.layout import VOLUMES_ROOT_ENV, WORKSPACE_ROOT_ENV

_MOUNTS = (("/Workspace", WORKSPACE_ROOT_ENV), ("/Volumes", VOLUMES_ROOT_ENV))


def local_path(path: str, environ: Mapping[str, str] = os.environ) -> Path:
    """The local folder or file behind a workspace path; other paths are returned as they are.

    Outside a local workspace task (the variable unset) the path is returned unchanged, which is
    right on Databricks, where the FUSE mount makes it a real local path. The local workspace
    itself passes the variables it gives its tasks as `environ`.
    """
    for mount, variable in _MOUNTS:
        if path == mount or path.startswith(mount + "/"):
            root = environ.get(variable)
            if not root:
                return Path(path)
            relative = PurePosixPath(path).relative_to(mount)
            if ".." in relative.parts:
                raise BundleopsError(f"path {path} leaves {mount}", fix="use a path without '..'")
            return Path(root, *relative.parts)
    return Path(path)
