"""The `workspace` block: the deploying user and the deployment folders.

Without `root_path` a bundle deploys to `/Workspace/Users/<user>/.bundle/<bundle>/<target>`
(whatever the mode), with `files/`, `artifacts/`, `state/` and `resources/` under it. `~/`
means the user's home folder, and any other absolute path outside `/Workspace/` and `/Volumes/`
gets the `/Workspace` prefix (`/remote` is `/Workspace/remote`), as the real CLI's
PrependWorkspacePrefix does. Only `artifact_path` may be in a volume (its validate:volume-path).
"""

from __future__ import annotations

from typing import Any

from bundleops.localcli.diagnostics import Diagnostics

SUPPORTED_WORKSPACE_KEYS = ("host", "root_path", "file_path", "artifact_path", "state_path", "resource_path")
DEFAULT_ROOT = "/Workspace/Users/${workspace.current_user.userName}/.bundle/${bundle.name}/${bundle.target}"
SUBFOLDERS = {"file_path": "files", "artifact_path": "artifacts", "state_path": "state", "resource_path": "resources"}
UNPREFIXED = ("/Workspace/", "/Volumes/")
NOT_IN_VOLUMES = ("root_path", "file_path", "state_path", "resource_path")


def _normalise(path: str) -> str:
    if path.startswith("~/"):
        path = "/Workspace/Users/${workspace.current_user.userName}/" + path[2:]
    if path.startswith("/") and not path.startswith(UNPREFIXED):
        path = "/Workspace" + path
    return path


def _check_volumes(workspace: dict[str, Any], diagnostics: Diagnostics) -> None:
    """The real CLI's words; a root_path in a volume is reported alone (its check stops there)."""
    for key in NOT_IN_VOLUMES:
        value = workspace.get(key)
        if isinstance(value, str) and value.startswith("/Volumes/"):
            diagnostics.error(
                f"workspace.{key} {value} starts with /Volumes. /Volumes can only be used with workspace.artifact_path.",
                detail="For more information, see https://docs.databricks.com/aws/en/dev-tools/bundles/settings#workspace",
                path=f"workspace.{key}",
            )
            if key == "root_path":
                return


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
    _check_volumes(workspace, diagnostics)
