"""The workspace file tree (`/Workspace`) on disk, with the workspace's notion of notebooks.

A source file that starts with the notebook header is a notebook: the workspace shows it
without its extension (`src/nb.py` becomes the notebook `src/nb`). On disk it keeps its
extension, so a task process can run it as the Python file it is.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bundleops.localworkspace.http import ApiError

NOTEBOOK_HEADERS = {
    ".py": ("# Databricks notebook source", "PYTHON"),
    ".sql": ("-- Databricks notebook source", "SQL"),
    ".scala": ("// Databricks notebook source", "SCALA"),
    ".r": ("# Databricks notebook source", "R"),
}
_HEADER_FOR_LANGUAGE = {language: (suffix, header) for suffix, (header, language) in NOTEBOOK_HEADERS.items()}


@dataclass(frozen=True)
class Entry:
    """One workspace object: its workspace path, where it lives on disk, and its type."""

    path: str  # canonical, without the /Workspace prefix: /Users/x/file.py
    local: Path
    object_type: str  # DIRECTORY | FILE | NOTEBOOK
    language: str | None = None


def canonical(path: str) -> str:
    """`/Workspace/Users/x` and `/Users/x` name the same object; the API answers with the latter."""
    if not path.startswith("/"):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Path ({path}) must be absolute")
    parts = PurePosixPath(path).parts[1:]
    if ".." in parts:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Path ({path}) must not contain '..'")
    if parts[:1] == ("Workspace",):
        parts = parts[1:]
    return "/" + "/".join(parts)


def notebook_language(content: bytes, suffix: str) -> str | None:
    header = NOTEBOOK_HEADERS.get(suffix.lower())
    if header and content.lstrip(b"\xef\xbb\xbf").startswith(header[0].encode()):
        return header[1]
    return None


def _missing(path: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"Path ({path}) doesn't exist.")


class WorkspaceTree:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _local(self, path: str) -> Path:
        return self.root.joinpath(*PurePosixPath(canonical(path)).parts[1:])

    def find(self, path: str) -> Entry | None:
        path = canonical(path)
        local = self._local(path)
        if local.is_dir():
            return Entry(path, local, "DIRECTORY")
        if local.is_file():
            return Entry(path, local, "FILE")
        for suffix in NOTEBOOK_HEADERS:
            candidate = local.with_name(local.name + suffix)
            if candidate.is_file():
                language = notebook_language(candidate.read_bytes()[:64], suffix)
                if language:
                    return Entry(path, candidate, "NOTEBOOK", language)
        return None

    def get(self, path: str) -> Entry:
        entry = self.find(path)
        if entry is None:
            raise _missing(canonical(path))
        return entry

    def mkdirs(self, path: str) -> None:
        local = self._local(path)
        for parent in [local, *local.parents]:
            if parent == self.root:
                break
            if parent.is_file():
                raise ApiError(400, "RESOURCE_ALREADY_EXISTS", f"Path ({canonical(path)}) exists and is not a directory")
        local.mkdir(parents=True, exist_ok=True)

    def write_file(self, path: str, content: bytes, *, overwrite: bool, create_parents: bool = False) -> Entry:
        """Write a workspace file, or a notebook when the content carries the notebook header.

        Without `overwrite` the write fails when the object exists: an exclusive create, which is
        what the deploy lock relies on.
        """
        path = canonical(path)
        local = self._local(path)
        language = notebook_language(content, local.suffix)
        workspace_path = path[: -len(local.suffix)] if language else path
        existing = self.find(workspace_path)
        if existing and existing.object_type == "DIRECTORY":
            raise ApiError(400, "RESOURCE_ALREADY_EXISTS", f"Path ({workspace_path}) is a directory")
        if not local.parent.is_dir():
            if not create_parents:
                raise _missing(str(PurePosixPath(path).parent))
            self.mkdirs(str(PurePosixPath(path).parent))
        if existing and not overwrite:
            raise ApiError(409, "RESOURCE_ALREADY_EXISTS", f"Path ({workspace_path}) already exists.")
        if existing and existing.local != local:
            existing.local.unlink()
        try:
            with open(local, "wb" if overwrite else "xb") as handle:
                handle.write(content)
        except FileExistsError:
            raise ApiError(409, "RESOURCE_ALREADY_EXISTS", f"Path ({workspace_path}) already exists.") from None
        return Entry(workspace_path, local, "NOTEBOOK" if language else "FILE", language)

    def write_notebook(self, path: str, language: str, source: bytes, *, overwrite: bool) -> Entry:
        suffix, header = _HEADER_FOR_LANGUAGE[language]
        if notebook_language(source, suffix) is None:
            source = header.encode() + b"\n" + source
        return self.write_file(canonical(path) + suffix, source, overwrite=overwrite)

    def folder_with_id(self, object_id: int) -> Entry:
        """The folder whose object id (its inode: object_info) this is; 404 as the workspace answers an unknown id."""
        for folder in [self.root, *(path for path in self.root.rglob("*") if path.is_dir())]:
            if folder.stat().st_ino == object_id:
                return Entry("/" + folder.relative_to(self.root).as_posix().strip("."), folder, "DIRECTORY")
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"directories/{object_id} does not exist.")

    def children(self, path: str) -> list[Entry]:
        entry = self.get(path)
        if entry.object_type != "DIRECTORY":
            return [entry]
        found = []
        for child in sorted(entry.local.iterdir()):
            language = notebook_language(child.read_bytes()[:64], child.suffix) if child.is_file() else None
            name = child.name[: -len(child.suffix)] if language else child.name
            found.append(self.get(f"{entry.path.rstrip('/')}/{name}"))
        return found

    def delete(self, path: str, *, recursive: bool) -> None:
        entry = self.get(path)
        if entry.object_type != "DIRECTORY":
            entry.local.unlink()
            return
        if any(entry.local.iterdir()) and not recursive:
            raise ApiError(400, "DIRECTORY_NOT_EMPTY", f"Folder ({entry.path}) is not empty")
        shutil.rmtree(entry.local)
