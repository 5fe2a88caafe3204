"""Relative task paths become workspace paths under `${workspace.file_path}`, as in the real CLI.

A path in a job is relative to the YAML file that wrote it; after the file sync the same file
lives at `<file_path>/<path relative to the bundle root>`. Notebooks lose their extension (the
workspace imports a `# Databricks notebook source` file as a notebook without it; a
`.designer.ipynb` keeps it), plain files keep it. The files live relative to the sync root: the bundle root, or the common parent of the bundle root
and its `sync.paths` (the real CLI's SyncRoot). A path outside the sync root or to a missing file is an error, as in the real CLI.
Local library files of a task (`libraries: - whl: ...`) and of a job environment are translated by `libraries`.
A pipeline's `libraries[*].notebook.path` and `.file.path` are translated the same way,
`libraries[*].glob.include` and `root_path` (a folder) are rewritten under the file path without
naming one file (the real CLI's translate_paths_pipelines.go).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bundleops.localcli import libraries
from bundleops.localcli.diagnostics import Diagnostics

NOTEBOOK_HEADERS = {
    ".py": "# Databricks notebook source",
    ".sql": "-- Databricks notebook source",
    ".scala": "// Databricks notebook source",
    ".r": "# Databricks notebook source",
}
FILE_REFERENCE = "${workspace.file_path}"
DESIGNER_SUFFIX = ".designer.ipynb"
VARIABLE_REFERENCE = re.compile(r"\$\{var\.[^${}]+\}")


def is_local_relative(value: Any) -> bool:
    return isinstance(value, str) and bool(value) and not value.startswith(("/", "${")) and "://" not in value


def is_notebook(path: Path) -> bool:
    """True for `.ipynb` files and source files that start with the notebook header."""
    if path.suffix == ".ipynb":
        return True
    header = NOTEBOOK_HEADERS.get(path.suffix.lower())
    if header is None:
        return False
    with path.open(encoding="utf-8", errors="replace") as handle:
        return handle.readline().strip() == header


def notebook_remote_name(relative: str) -> str:
    """A notebook's workspace name: without its extension, except that a designer notebook keeps
    its whole `.designer.ipynb` suffix (the real CLI's libs/notebook/ext.go)."""
    if relative.endswith(DESIGNER_SUFFIX):
        return relative
    return relative.rsplit(".", 1)[0]


def _resolve(value: str, folder: Path, root: Path, kind: str, diagnostics: Diagnostics) -> tuple[Path, str] | None:
    local = (folder / value).resolve()
    try:
        relative = local.relative_to(root).as_posix()
    except ValueError:
        diagnostics.error(f"path {local} is not contained in sync root path")
        return None
    if not local.is_file():
        diagnostics.error(f"{kind} {value} not found")
        return None
    return local, relative


@dataclass(frozen=True)
class PathField:
    """One task field that holds a local path: where it is in the task, and what it must name."""

    route: tuple[str, ...]
    kind: Literal["notebook", "file"]

    def container(self, task: dict[str, Any]) -> dict[str, Any] | None:
        node: Any = task
        for part in self.route[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        # A notebook or Python file task with `source: GIT` names a path in the repository, not a local one.
        if not isinstance(node, dict) or (len(self.route) == 2 and node.get("source") == "GIT"):
            return None
        return node


PATH_FIELDS = (
    PathField(("notebook_task", "notebook_path"), "notebook"),
    PathField(("spark_python_task", "python_file"), "file"),
    PathField(("sql_task", "file", "path"), "file"),
)

PIPELINE_PATH_FIELDS = (PathField(("notebook", "path"), "notebook"), PathField(("file", "path"), "file"))


@dataclass(frozen=True)
class DeferredPath:
    """A task path written as a whole `${var.x}` reference. The real CLI translates it once the
    variable resolves, relative to the file that holds the reference, not the one that set the
    variable (acceptance paths/relative_path_translation); `target` is the target whose override
    wrote it, None for the bundle's own resources."""

    target: str | None
    job: str
    task_key: str
    field: PathField
    folder: Path


def _translated(value: str, field: PathField, folder: Path, root: Path, prefix: str, diagnostics: Diagnostics) -> str | None:
    """`<prefix>/<path relative to the root>` for a local path, None (with its error) when it names nothing usable."""
    found = _resolve(value, folder, root, field.kind, diagnostics)
    if found is None:
        return None
    local, relative = found
    if field.kind == "file":
        return f"{prefix}/{relative}"
    if not is_notebook(local):
        diagnostics.error(f"file at {local} is not a notebook")
        return None
    return f"{prefix}/{notebook_remote_name(relative)}"


@dataclass
class JobPaths:
    """Translates the paths of the jobs one YAML file defines, and collects its deferred ones."""

    folder: Path
    root: Path
    diagnostics: Diagnostics
    deferred: list[DeferredPath]
    target: str | None = None

    def task(self, job: str, task: dict[str, Any], where: str) -> None:
        for field in PATH_FIELDS:
            container = field.container(task)
            value = container.get(field.route[-1]) if container is not None else None
            if is_local_relative(value):
                translated = _translated(value, field, self.folder, self.root, FILE_REFERENCE, self.diagnostics)
                if translated is not None:
                    container[field.route[-1]] = translated  # type: ignore[index]
            elif isinstance(value, str) and VARIABLE_REFERENCE.fullmatch(value) and isinstance(task.get("task_key"), str):
                self.deferred.append(DeferredPath(self.target, job, task["task_key"], field, self.folder))
        libraries.translate_task(task, self.folder, self.root, where, self.diagnostics)
        nested = (task.get("for_each_task") or {}).get("task") if isinstance(task.get("for_each_task"), dict) else None
        if isinstance(nested, dict):
            self.task(job, nested, f"{where}.for_each_task.task")

    def _under_root(self, value: str, must: str) -> str | None:
        """`${workspace.file_path}/<relative>` for a glob or folder; `must` is `dir` or `` (anything)."""
        local = (self.folder / value).resolve()
        try:
            relative = local.relative_to(self.root).as_posix()
        except ValueError:
            self.diagnostics.error(f"path {local} is not contained in sync root path")
            return None
        if must == "dir" and not local.is_dir():
            self.diagnostics.error(f"directory {value} not found")
            return None
        return f"{FILE_REFERENCE}/{relative}".removesuffix("/.")

    def pipeline(self, pipeline: dict[str, Any]) -> None:
        """Rewrite the local paths of one pipeline in place: its libraries' notebooks, files and globs, its root_path."""
        for library in pipeline.get("libraries") or []:
            for field in PIPELINE_PATH_FIELDS:
                container = field.container(library) if isinstance(library, dict) else None
                if container is not None and is_local_relative(container.get("path")):
                    container["path"] = _translated(container["path"], field, self.folder, self.root, FILE_REFERENCE, self.diagnostics) or container["path"]
            glob_block = library.get("glob") if isinstance(library, dict) else None
            if isinstance(glob_block, dict) and is_local_relative(glob_block.get("include")):
                glob_block["include"] = self._under_root(glob_block["include"], "") or glob_block["include"]
        if is_local_relative(pipeline.get("root_path")):
            pipeline["root_path"] = self._under_root(pipeline["root_path"], "dir") or pipeline["root_path"]

    def resources(self, resources: dict[str, Any]) -> None:
        """Rewrite the local paths of the jobs and pipelines in one `resources` mapping, in place."""
        for key, job in (resources.get("jobs") or {}).items():
            if isinstance(job, dict):
                self.job(key, job)
        for pipeline in (resources.get("pipelines") or {}).values():
            if isinstance(pipeline, dict):
                self.pipeline(pipeline)

    def job(self, key: str, job: dict[str, Any]) -> None:
        """Rewrite the local paths of one job in place: its environments' local dependencies, and
        its tasks' paths (skipped for jobs that run from Git)."""
        where = f"resources.jobs.{key}"
        libraries.translate(job, self.folder, self.root, where, self.diagnostics)
        if job.get("git_source"):
            return
        for number, task in enumerate(job.get("tasks") or []):
            if isinstance(task, dict):
                self.task(key, task, f"{where}.tasks[{number}]")


def _tasks_by_key(tasks: Any) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for task in tasks or []:
        if isinstance(task, dict):
            found.setdefault(str(task.get("task_key")), task)
            nested = (task.get("for_each_task") or {}).get("task") if isinstance(task.get("for_each_task"), dict) else None
            found.update({key: value for key, value in _tasks_by_key([nested]).items() if key not in found})
    return found


def translate_deferred(config: dict[str, Any], deferred: list[DeferredPath], root: Path, diagnostics: Diagnostics) -> None:
    """After references resolve: translate the paths written as a `${var.x}` reference, relative to
    the reference's file; a target's override wins over the bundle's own definition."""
    target = config["bundle"]["target"]
    chosen: dict[tuple[str, str, tuple[str, ...]], DeferredPath] = {}
    for entry in deferred:
        if entry.target in (None, target):
            key = (entry.job, entry.task_key, entry.field.route)
            if entry.target is not None or key not in chosen:
                chosen[key] = entry
    jobs = (config.get("resources") or {}).get("jobs") or {}
    prefix = config["workspace"]["file_path"]
    for entry in chosen.values():
        task = _tasks_by_key((jobs.get(entry.job) or {}).get("tasks")).get(entry.task_key)
        container = entry.field.container(task) if task is not None else None
        value = container.get(entry.field.route[-1]) if container is not None else None
        if is_local_relative(value):
            translated = _translated(value, entry.field, entry.folder, root, prefix, diagnostics)
            if translated is not None:
                container[entry.field.route[-1]] = translated  # type: ignore[index]
