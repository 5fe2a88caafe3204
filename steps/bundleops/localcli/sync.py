"""Upload the project files to `<workspace.file_path>`, as `bundle deploy` does before touching jobs.

First the remote folder is made usable as the real CLI's sync does it: get-status, and when it
is missing, mkdirs and get-status again. Each file then goes through
`workspace-files/import-file` (overwrite=true), in path order (the real CLI uploads in
parallel, so its order varies). Like the real CLI, a
local snapshot under `.databricks/bundle/<target>/sync-snapshots/` remembers what was uploaded
(with a content hash), so unchanged files are not sent again and files deleted locally are
deleted remotely. A fresh checkout has no snapshot and uploads everything.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bundleops.localcli import wsfs
from bundleops.localcli.diagnostics import CliError
from bundleops.localcli.ignore import Matcher
from bundleops.localcli.paths import is_notebook, notebook_remote_name

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


@dataclass
class SyncResult:
    uploaded: int
    deleted: int
    files: list[str]  # every local file now in sync, relative posix paths, sorted


def project_files(root: Path, excludes: list[str]) -> list[str]:
    """Relative posix paths of every file the sync uploads, sorted."""
    matcher = Matcher(root, excludes)
    found = []
    for folder, subfolders, files in os.walk(root):
        base = Path(folder).relative_to(root).as_posix()
        prefix = "" if base == "." else f"{base}/"
        subfolders[:] = sorted(name for name in subfolders if not matcher.folder_skipped(f"{prefix}{name}"))
        found.extend(f"{prefix}{name}" for name in files if not matcher.skipped(f"{prefix}{name}"))
    return sorted(found)


def snapshot_path(root: Path, target: str, host: str, file_path: str) -> Path:
    key = hashlib.sha256(f"{host}{file_path}".encode()).hexdigest()[:16]
    return root / ".databricks" / "bundle" / target / "sync-snapshots" / f"{key}.json"


def _remote_name(root: Path, relative: str) -> str:
    """The workspace imports a notebook source file without its extension (a designer notebook keeps it)."""
    local = root / relative
    return notebook_remote_name(relative) if local.is_file() and is_notebook(local) else relative


def _ensure_folder(client: WorkspaceClient, file_path: str) -> None:
    """The remote folder exists afterwards; a file in its place is the real CLI's error."""
    from databricks.sdk.errors import NotFound
    from databricks.sdk.service.workspace import ObjectType

    try:
        info = client.workspace.get_status(file_path)
    except NotFound:
        client.workspace.mkdirs(file_path)
        info = client.workspace.get_status(file_path)
    if info.object_type not in (ObjectType.DIRECTORY, ObjectType.REPO):
        kind = info.object_type.value.lower() if info.object_type else "file"
        raise CliError(f"{file_path} points to a {kind}")


def upload(client: WorkspaceClient, root: Path, target: str, file_path: str, excludes: list[str]) -> SyncResult:
    snapshot_file = snapshot_path(root, target, str(client.config.host), file_path)
    previous: dict[str, str] = json.loads(snapshot_file.read_text(encoding="utf-8"))["files"] if snapshot_file.is_file() else {}
    _ensure_folder(client, file_path)
    current: dict[str, str] = {}
    uploaded = 0
    files = project_files(root, excludes)
    for relative in files:
        content = (root / relative).read_bytes()
        remote = _remote_name(root, relative)
        current[remote] = hashlib.sha256(content).hexdigest()
        if previous.get(remote) != current[remote]:
            wsfs.write(client, f"{file_path}/{relative}", content, overwrite=True)
            uploaded += 1
    deleted = sum(1 for remote in sorted(set(previous) - set(current)) if wsfs.delete(client, f"{file_path}/{remote}"))
    snapshot_file.parent.mkdir(parents=True, exist_ok=True)
    snapshot_file.write_text(json.dumps({"host": str(client.config.host), "remote_path": file_path, "files": current}, indent=2), encoding="utf-8")
    return SyncResult(uploaded=uploaded, deleted=deleted, files=files)


def forget(root: Path, target: str, host: str, file_path: str) -> None:
    """Drop the snapshot after a destroy, so the next deploy uploads everything again."""
    snapshot_path(root, target, host, file_path).unlink(missing_ok=True)
