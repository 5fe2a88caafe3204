"""Upload the project files to `<workspace.file_path>`, as `bundle deploy` does before touching jobs.

The files are those of the sync root (the bundle root, or the common parent of the bundle root
and `sync.paths`), chosen by `Selection`.

First the remote folder is made usable as the real CLI's sync does it: get-status, and when it
is missing, mkdirs and get-status again. Each file then goes through
`workspace-files/import-file` (overwrite=true), in path order (the real CLI uploads in
parallel, so its order varies). Like the real CLI, a
local snapshot under `.databricks/bundle/<target>/sync-snapshots/` remembers what was uploaded
(with a content hash), so unchanged files are not sent again and files deleted locally are
deleted remotely. A fresh checkout has no snapshot and uploads everything.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

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


@dataclass(frozen=True)
class Selection:
    """Which local files the sync uploads, the real CLI's contract: the files under `sync.paths`,
    less those `.gitignore` at the sync root or `sync.exclude` skips, plus those `sync.include`
    names even when ignored; an exclude wins over an include. All relative to the sync root."""

    sync_root: Path
    folders: tuple[str, ...]
    excludes: tuple[str, ...] = ()
    includes: tuple[str, ...] = ()

    @classmethod
    def of(cls, sync_root: Path, sync: dict[str, Any]) -> Selection:
        """From the resolved `sync` block, whose paths, includes and excludes are relative to the sync root (bundle.py)."""
        return cls(sync_root, tuple(sync.get("paths") or ["."]), tuple(sync.get("exclude") or ()), tuple(sync.get("include") or ()))


def _walk(root: Path, folder: str, matcher: Matcher) -> Iterator[str]:
    """The files under one sync path (a folder or a file) that the matcher keeps."""
    start = root if folder == "." else root / folder
    if start.is_file() and not matcher.skipped(folder):
        yield folder
    for current, subfolders, files in os.walk(start):
        base = Path(current).relative_to(root).as_posix()
        prefix = "" if base == "." else f"{base}/"
        subfolders[:] = sorted(name for name in subfolders if not matcher.folder_skipped(f"{prefix}{name}"))
        yield from (f"{prefix}{name}" for name in files if not matcher.skipped(f"{prefix}{name}"))


def project_files(selection: Selection) -> list[str]:
    """Relative posix paths (from the sync root) of every file the sync uploads, sorted."""
    root = selection.sync_root
    matcher = Matcher(root, list(selection.excludes))
    found = {name for folder in selection.folders for name in _walk(root, folder, matcher)}
    excluded = Matcher(root, list(selection.excludes), gitignore=False)
    for pattern in selection.includes:
        found.update(name for name in glob.glob(pattern, root_dir=root, recursive=True)
                     if (root / name).is_file() and not excluded.skipped(Path(name).as_posix()))
    return sorted(Path(name).as_posix() for name in found)


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


def upload(client: WorkspaceClient, root: Path, target: str, file_path: str, selection: Selection) -> SyncResult:
    """Sync the selected files to `file_path`; the snapshot lives under the bundle root `root`."""
    snapshot_file = snapshot_path(root, target, str(client.config.host), file_path)
    previous: dict[str, str] = json.loads(snapshot_file.read_text(encoding="utf-8"))["files"] if snapshot_file.is_file() else {}
    _ensure_folder(client, file_path)
    current: dict[str, str] = {}
    uploaded = 0
    files = project_files(selection)
    for relative in files:
        content = (selection.sync_root / relative).read_bytes()
        remote = _remote_name(selection.sync_root, relative)
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
