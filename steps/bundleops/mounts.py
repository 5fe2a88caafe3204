"""Where Databricks' FUSE mounts (`/Workspace/...`, `/Volumes/...`) and Unity Catalog's tables are on this machine.

Inside Databricks a task reads `/Workspace` and `/Volumes` as local folders, and its Spark reads
any catalog's tables. Anything else that runs a task (the embedded local workspace) says where it
keeps those folders, and the tables (Spark's warehouse layout per catalog), in three environment
variables. This module is that contract and nothing more, so the in-workspace test runner and
the report re-rooting can honour it without knowing who set the variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from bundleops.errors import BundleopsError

WORKSPACE_ROOT_ENV = "BUNDLEOPS_LOCAL_WORKSPACE_ROOT"
VOLUMES_ROOT_ENV = "BUNDLEOPS_LOCAL_VOLUMES_ROOT"
WAREHOUSE_ROOT_ENV = "BUNDLEOPS_LOCAL_WAREHOUSE_ROOT"

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


def catalog_folder(catalog: str, environ: Mapping[str, str] = os.environ) -> Path | None:
    """The folder of a catalog's tables, `<schema>.db/<table>/` in it (Spark's warehouse layout),
    where whoever runs the task keeps them; None on Databricks and wherever nobody said."""
    root = environ.get(WAREHOUSE_ROOT_ENV)
    return Path(root, catalog.lower()) if root else None
