"""A job task as a local command: which program runs, with which arguments, in which folder.

Supported task types: spark_python_task (a workspace `.py` file), python_wheel_task (an entry
point of a distribution installed in the local workspace's own Python) and notebook_task (a
`.py` source notebook). Any other type is refused when the run is started (501), naming it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bundleops.localworkspace.http import ApiError
from bundleops.localworkspace.workspace_tree import WorkspaceTree

SUPPORTED = ("spark_python_task", "python_wheel_task", "notebook_task")
LAUNCH = [sys.executable, "-m", "bundleops.localworkspace.launch"]


@dataclass(frozen=True)
class TaskCommand:
    argv: list[str]
    cwd: Path


class TaskSetupError(Exception):
    """The task cannot start (a missing file, an unsatisfiable dependency): the task fails with this message."""


def task_type(task: dict[str, Any]) -> str:
    kinds = [key for key in task if key.endswith("_task")]
    for kind in kinds:
        if kind in SUPPORTED:
            return kind
    raise ApiError(501, "NOT_IMPLEMENTED", f"task {task.get('task_key')}: the local workspace runs {', '.join(SUPPORTED)}, not {', '.join(kinds) or 'a task without a type'}")


def check_environment(settings: dict[str, Any], task: dict[str, Any]) -> None:
    """The task's serverless environment must be what the local Python already has: the local
    workspace installs nothing, so a pinned dependency it lacks fails the task with the reason."""
    from packaging.requirements import InvalidRequirement, Requirement

    key = task.get("environment_key")
    if not key:
        return
    environments = {env.get("environment_key"): env for env in settings.get("environments") or []}
    if key not in environments:
        raise TaskSetupError(f"task {task['task_key']} names environment {key}, which the job does not define")
    for dependency in (environments[key].get("spec") or {}).get("dependencies") or []:
        try:
            requirement = Requirement(dependency)
        except InvalidRequirement:
            raise TaskSetupError(f"environment {key}: the local workspace cannot install {dependency!r} (only requirement specifiers that its Python already satisfies)") from None
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            raise TaskSetupError(f"environment {key}: {requirement.name} is not installed in the local workspace's Python (it installs nothing; install it there)") from None
        if requirement.specifier and not requirement.specifier.contains(installed, prereleases=True):
            raise TaskSetupError(f"environment {key}: {dependency} is wanted, the local workspace's Python has {requirement.name} {installed}")


def command(task: dict[str, Any], tree: WorkspaceTree) -> TaskCommand:
    kind = task_type(task)
    spec = task[kind]
    if kind == "spark_python_task":
        source = _workspace_file(tree, spec["python_file"], "python_file")
        return TaskCommand([sys.executable, str(source), *map(str, spec.get("parameters") or [])], source.parent)
    if kind == "python_wheel_task":
        if spec.get("named_parameters"):
            arguments = [f"--{name}={value}" for name, value in spec["named_parameters"].items()]
        else:
            arguments = [str(value) for value in spec.get("parameters") or []]
        return TaskCommand([*LAUNCH, "wheel", spec["package_name"], spec["entry_point"], *arguments], tree.root)
    entry = tree.find(spec["notebook_path"])
    if entry is None or entry.object_type != "NOTEBOOK" or entry.language != "PYTHON":
        raise TaskSetupError(f"notebook_path {spec['notebook_path']}: no Python source notebook there")
    assignments = [f"{name}={value}" for name, value in (spec.get("base_parameters") or {}).items()]
    return TaskCommand([*LAUNCH, "notebook", str(entry.local), *assignments], entry.local.parent)


def _workspace_file(tree: WorkspaceTree, path: str, field: str) -> Path:
    if not path.startswith(("/Workspace/", "/Users/", "/Shared/")):
        raise TaskSetupError(f"{field} {path}: the local workspace runs workspace files only (no dbfs:/, Git or Volumes sources)")
    entry = tree.find(path)
    if entry is None or entry.object_type == "DIRECTORY":
        raise TaskSetupError(f"{field} {path} does not exist in the workspace")
    return entry.local
