"""A job task as a local command: which program runs, with which arguments, in which folder.

Supported task types: spark_python_task (a workspace `.py` file), python_wheel_task (an entry
point of a distribution installed in the local workspace's own Python) and notebook_task (a
`.py` source notebook) run as commands; pipeline_task starts a pipeline update instead (runs.py).
Any other type is refused when the run is started (501), naming it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import Any

from bundleops.errors import BundleopsError
from bundleops.localworkspace.http import ApiError
from bundleops.mounts import local_path
from bundleops.localworkspace.workspace_tree import WorkspaceTree

SUPPORTED = ("spark_python_task", "python_wheel_task", "notebook_task", "pipeline_task")
# What launch.py prints for dbutils.notebook.exit(value); the run reads it back as the notebook's result.
# Defined here, not in launch.py: `python -m bundleops.localworkspace.launch` imports this package
# first, and a package that imported launch itself would make Python warn that it is in sys.modules.
NOTEBOOK_EXIT_MARKER = "__bundleops_notebook_exit__:"
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


def check_environment(settings: dict[str, Any], task: dict[str, Any], tree: WorkspaceTree, environ: Mapping[str, str]) -> list[str]:
    """The task's serverless environment must be what the local Python already has: the local
    workspace installs nothing, so a dependency it lacks fails the task with the reason.

    A dependency is a requirement specifier (`bundleops>=1.4`) or the path of a wheel in the
    workspace or a volume (`/Workspace/.../bundleops-1.4.0-py3-none-any.whl`, as a bundle deploy
    leaves it): the file must exist, and the version in its name must be the installed one.
    `environ` maps `/Workspace` and `/Volumes` to local folders. Returns one line per dependency
    saying what was checked, for the task's log.
    """
    from packaging.requirements import InvalidRequirement, Requirement

    key = task.get("environment_key")
    if not key:
        return []
    environments = {env.get("environment_key"): env for env in settings.get("environments") or []}
    if key not in environments:
        raise TaskSetupError(f"task {task['task_key']} names environment {key}, which the job does not define")
    seen = []
    for dependency in (environments[key].get("spec") or {}).get("dependencies") or []:
        if dependency.startswith("/") and dependency.endswith(".whl"):
            seen.append(_check_wheel(key, dependency, tree, environ))
            continue
        try:
            requirement = Requirement(dependency)
        except InvalidRequirement:
            raise TaskSetupError(f"environment {key}: the local workspace cannot install {dependency!r} (only requirement specifiers "
                                 "and /Workspace or /Volumes wheel paths that its Python already satisfies)") from None
        installed = _installed(key, requirement.name)
        if requirement.specifier and not requirement.specifier.contains(installed, prereleases=True):
            raise TaskSetupError(f"environment {key}: {dependency} is wanted, the local workspace's Python has {requirement.name} {installed}")
        seen.append(f"environment {key}: {dependency} is satisfied by the installed {requirement.name} {installed}")
    return seen


def _installed(key: str, name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        raise TaskSetupError(f"environment {key}: {name} is not installed in the local workspace's Python (it installs nothing; install it there)") from None


def _check_wheel(key: str, path: str, tree: WorkspaceTree, environ: Mapping[str, str]) -> str:
    """A wheel path stands for the distribution and version its file name carries (PEP 427:
    `name-version[-build]-python-abi-platform.whl`); the local Python must have exactly that version."""
    _require_file(path, tree, environ, f"environment {key}: wheel")
    parts = PurePosixPath(path).name[: -len(".whl")].split("-")
    if len(parts) not in (5, 6):
        raise TaskSetupError(f"environment {key}: {path} is not a wheel file name (name-version-python-abi-platform.whl)")
    name, wanted = parts[0], parts[1]
    installed = _installed(key, name)
    if installed != wanted:
        raise TaskSetupError(f"environment {key}: the wheel {path} is {name} {wanted}, the local workspace's Python has {name} {installed} "
                             f"(it installs nothing: deploy the wheel of {name} {installed}, or install {name} {wanted} there)")
    return f"environment {key}: {path} is {name} {wanted}, the version the local workspace's Python has"


def _require_file(path: str, tree: WorkspaceTree, environ: Mapping[str, str], field: str) -> None:
    if not path.startswith("/Volumes/"):
        _workspace_file(tree, path, field)
        return
    try:
        local = local_path(path, environ)
    except BundleopsError as error:
        raise TaskSetupError(f"{field} {path}: {error.message}") from None
    if not local.is_file():
        raise TaskSetupError(f"{field} {path} does not exist in the volume")


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
