"""Relative task paths become workspace paths under `${workspace.file_path}`, as in the real CLI.

A path in a job is relative to the YAML file that wrote it; after the file sync the same file
lives at `<file_path>/<path relative to the bundle root>`. Notebooks lose their extension (the
workspace imports a `# Databricks notebook source` file as a notebook without it), plain files
keep it. A path outside the bundle root (the sync root) or to a missing file is an error, as in the real CLI.
Local library files of a task (`libraries: - whl: ...`) would need the artifact upload, which the
stand-in refuses; local dependencies of a job environment are translated by `libraries`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bundleops.localcli import libraries
from bundleops.localcli.diagnostics import Diagnostics

NOTEBOOK_HEADERS = {
    ".py": "# Databricks notebook source",
    ".sql": "-- Databricks notebook source",
    ".scala": "// Databricks notebook source",
    ".r": "# Databricks notebook source",
}
FILE_REFERENCE = "${workspace.file_path}"


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


def _resolve(value: str, folder: Path, root: Path, where: str, kind: str, diagnostics: Diagnostics) -> tuple[Path, str] | None:
    local = (folder / value).resolve()
    try:
        relative = local.relative_to(root).as_posix()
    except ValueError:
        diagnostics.error(f"path {local} is not contained in sync root path", path=where)
        return None
    if not local.is_file():
        diagnostics.error(f"{kind} {value} not found", path=where)
        return None
    return local, relative


def _translate_notebook(container: dict[str, Any], field: str, folder: Path, root: Path, where: str, diagnostics: Diagnostics) -> None:
    value = container.get(field)
    if not is_local_relative(value):
        return
    found = _resolve(value, folder, root, where, "notebook", diagnostics)
    if found is None:
        return
    local, relative = found
    if not is_notebook(local):
        diagnostics.error(f"file at {local} is not a notebook", path=where)
        return
    container[field] = f"{FILE_REFERENCE}/{relative[: -len(local.suffix)]}"


def _translate_file(container: dict[str, Any], field: str, folder: Path, root: Path, where: str, diagnostics: Diagnostics) -> None:
    value = container.get(field)
    if not is_local_relative(value):
        return
    found = _resolve(value, folder, root, where, "file", diagnostics)
    if found is not None:
        container[field] = f"{FILE_REFERENCE}/{found[1]}"


def _translate_task(task: dict[str, Any], folder: Path, root: Path, where: str, diagnostics: Diagnostics) -> None:
    if isinstance(task.get("notebook_task"), dict) and task["notebook_task"].get("source") != "GIT":
        _translate_notebook(task["notebook_task"], "notebook_path", folder, root, f"{where}.notebook_task.notebook_path", diagnostics)
    if isinstance(task.get("spark_python_task"), dict) and task["spark_python_task"].get("source") != "GIT":
        _translate_file(task["spark_python_task"], "python_file", folder, root, f"{where}.spark_python_task.python_file", diagnostics)
    sql_file = (task.get("sql_task") or {}).get("file") if isinstance(task.get("sql_task"), dict) else None
    if isinstance(sql_file, dict):
        _translate_file(sql_file, "path", folder, root, f"{where}.sql_task.file.path", diagnostics)
    for number, library in enumerate(task.get("libraries") or []):
        for kind in ("whl", "jar", "requirements"):
            if isinstance(library, dict) and is_local_relative(library.get(kind)):
                diagnostics.error(
                    f"local library {kind}: {library[kind]} needs the artifact upload, which the databricks CLI stand-in does not support "
                    "(use an absolute /Workspace or /Volumes path, or a package already installed)",
                    path=f"{where}.libraries[{number}].{kind}",
                )
    nested = (task.get("for_each_task") or {}).get("task") if isinstance(task.get("for_each_task"), dict) else None
    if isinstance(nested, dict):
        _translate_task(nested, folder, root, f"{where}.for_each_task.task", diagnostics)


def translate_job_paths(job: dict[str, Any], folder: Path, root: Path, where: str, diagnostics: Diagnostics) -> None:
    """Rewrite the local paths of one job in place: its environments' local dependencies, and its
    tasks' paths (skipped for jobs that run from Git)."""
    libraries.translate(job, folder, root, where, diagnostics)
    if job.get("git_source"):
        return
    for number, task in enumerate(job.get("tasks") or []):
        if isinstance(task, dict):
            _translate_task(task, folder, root, f"{where}.tasks[{number}]", diagnostics)
