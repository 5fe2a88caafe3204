"""The `workspace` block: the deploying user and the deployment folders.

Without `root_path` a bundle deploys to `/Workspace/Users/<user>/.bundle/<bundle>/<target>`
(whatever the mode), with `files/`, `artifacts/`, `state/` and `resources/` under it. `~/`
means the user's home folder and `/Users/...` gets the `/Workspace` prefix, as in the real CLI.
"""

from __future__ import annotations

from typing import Any

from bundleops.localcli.diagnostics import Diagnostics

SUPPORTED_WORKSPACE_KEYS = ("host", "root_path", "file_path", "artifact_path", "state_path", "resource_path")
DEFAULT_ROOT = "/Workspace/Users/${workspace.current_user.userName}/.bundle/${bundle.name}/${bundle.target}"
SUBFOLDERS = {"file_path": "files", "artifact_path": "artifacts", "state_path": "state", "resource_path": "resources"}


def _normalise(path: str) -> str:
    if path.startswith("~/"):
        path = "/Workspace/Users/${workspace.current_user.userName}/" + path[2:]
    if path.startswith("/Users/") or path.startswith("/Shared/"):
        path = "/Workspace" + path
    return path


def root_path_is_explicit(config: dict[str, Any]) -> bool:
    return bool((config.get("workspace") or {}).get("root_path"))


def apply_defaults(config: dict[str, Any], user: dict[str, Any], diagnostics: Diagnostics) -> None:
    workspace = config.setdefault("workspace", {}) or {}
    config["workspace"] = workspace
    for key in workspace:
        if key not in SUPPORTED_WORKSPACE_KEYS:
            diagnostics.error(f"workspace key '{key}' is not supported by the databricks CLI stand-in (auth comes from DATABRICKS_* environment variables)", path=f"workspace.{key}")
    workspace["current_user"] = user
    workspace["root_path"] = _normalise(workspace.get("root_path") or DEFAULT_ROOT)
    for key, folder in SUBFOLDERS.items():
        workspace[key] = _normalise(workspace.get(key) or f"{workspace['root_path']}/{folder}")
