"""Local files a job names as libraries: uploaded by deploy, as the real CLI does.

A task library (`libraries: - whl: ./dist/*.whl`, `- jar: ...`) or a job environment's dependency
(`./dist/x.whl`, `../wheels/*.whl`, `dist/x.whl`) that is a local path is relative to the YAML file
that wrote it; `validate` shows it relative to the sync root with a `./` prefix. `deploy` (and
`plan`) expand it after the artifacts are built (`file doesn't exist <path>` or `no files match
pattern: <path>` when nothing is there; a glob that matches several files becomes one entry per
file, as the real CLI's expand_glob_references.go does), then upload each file, with every file
an artifact built, to `<artifact_path>/.internal/<file name>` (`Uploading <path relative to the
sync root>...`, in path order) and send that workspace path to the Jobs API. Requirement
specifiers, pip flags, URLs (`dbfs:/...`) and absolute paths (`/Workspace/...`, `/Volumes/...`)
pass through unchanged. This is the real CLI's contract (databricks/cli bundle/libraries;
acceptance/bundle/artifacts/whl_explicit and whl_via_environment_key, and
acceptance/bundle/environments/dependencies record the upload and the rewritten path).

Not supported here, each an error naming it: a local path inside a pip flag (`-r ./requirements.txt`,
`-e ./pkg`), a local `requirements` library, choosing the newest of several wheels of one package
(every match is kept), and an `artifact_path` in a volume.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from bundleops.localcli.diagnostics import CliError, Diagnostics

INTERNAL_DIR = ".internal"
_LOCAL_PIP_FLAGS = ("-r ", "-e ")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
LIBRARY_KINDS = ("whl", "jar")


def is_local(dependency: str) -> bool:
    """The real CLI's rule: a path without a scheme that is relative (pip flags and requirement specifiers are not)."""
    text = dependency.strip().strip("'\"")
    if not text or text.startswith(("-", "/")) or _SCHEME.match(text) or " " in text:
        return False
    return text.startswith(".") or "/" in text or text.endswith((".whl", ".jar"))


def _relative(value: str, folder: Path, root: Path) -> str:
    relative = Path(os.path.relpath(folder / value.strip().strip("'\""), root)).as_posix()
    return relative if relative.startswith("..") else f"./{relative}"


def translate(job: dict[str, Any], folder: Path, root: Path, where: str, diagnostics: Diagnostics) -> None:
    """Rewrite the local dependencies of one job's environments relative to the sync root, as validate shows them."""
    for number, environment in enumerate(job.get("environments") or []):
        dependencies = ((environment or {}).get("spec") or {}).get("dependencies") if isinstance(environment, dict) else None
        for index, dependency in enumerate(dependencies or []):
            at = f"{where}.environments[{number}].spec.dependencies[{index}]"
            if not isinstance(dependency, str):
                continue
            if dependency.startswith(_LOCAL_PIP_FLAGS) and is_local(dependency[3:]):
                diagnostics.error(f"a local path in the pip flag {dependency!r} is not supported by the databricks CLI stand-in "
                                  "(use an absolute /Workspace or /Volumes path)", path=at)
            elif is_local(dependency):
                dependencies[index] = _relative(dependency, folder, root)


def translate_task(task: dict[str, Any], folder: Path, root: Path, where: str, diagnostics: Diagnostics) -> None:
    """Rewrite one task's local `whl` and `jar` libraries relative to the sync root; a local `requirements` file is refused."""
    for number, library in enumerate(task.get("libraries") or []):
        if not isinstance(library, dict):
            continue
        for kind in LIBRARY_KINDS:
            if isinstance(library.get(kind), str) and is_local(library[kind]):
                library[kind] = _relative(library[kind], folder, root)
        requirements = library.get("requirements")
        if isinstance(requirements, str) and is_local(requirements):
            diagnostics.error(f"a local requirements file {requirements} is not supported by the databricks CLI stand-in "
                              "(use an absolute /Workspace or /Volumes path)", path=f"{where}.libraries[{number}].requirements")


@dataclass
class Library:
    """One local file and the places (a list in the configuration, an index, the library's key or None) that name it."""

    source: Path
    shown: str
    places: list[tuple[list[Any], int, str | None]] = field(default_factory=list)


def _tasks(tasks: Any) -> Iterator[dict[str, Any]]:
    for task in tasks or []:
        if isinstance(task, dict):
            yield task
            nested = task.get("for_each_task")
            if isinstance(nested, dict):
                yield from _tasks([nested.get("task")])


def _lists(jobs: dict[str, dict[str, Any]]) -> Iterator[list[Any]]:
    """Every list in the jobs that may name a local library: environment dependencies, task libraries."""
    for job in jobs.values():
        for environment in job.get("environments") or []:
            dependencies = ((environment or {}).get("spec") or {}).get("dependencies") if isinstance(environment, dict) else None
            if isinstance(dependencies, list):
                yield dependencies
        for task in _tasks(job.get("tasks")):
            if isinstance(task.get("libraries"), list):
                yield task["libraries"]


def _local_entry(item: Any) -> tuple[str | None, str] | None:
    """(library key or None for a dependency, its local path), or None when the entry is not a local file."""
    if isinstance(item, str):
        return (None, item) if is_local(item) else None
    for kind in LIBRARY_KINDS:
        value = item.get(kind) if isinstance(item, dict) else None
        if isinstance(value, str) and is_local(value):
            return kind, value
    return None


def _matches(value: str, root: Path) -> list[str]:
    matches = sorted(glob.glob(str(root / value)))
    if not matches:
        raise CliError(f"no files match pattern: {value}" if glob.has_magic(value) else f"file doesn't exist {value}")
    return matches


def expand(jobs: dict[str, dict[str, Any]], root: Path, built: Sequence[Path] = ()) -> list[Library]:
    """The files the local libraries name, a glob becoming one entry per match, with the `built`
    artifact files, in path order; raises CliError (before any lock) when one names nothing."""
    libraries: dict[Path, Library] = {}

    def library(source: Path) -> Library:
        return libraries.setdefault(source, Library(source, Path(os.path.relpath(source, root)).as_posix()))

    for items in _lists(jobs):
        expanded: list[Any] = []
        for item in items:
            local = _local_entry(item)
            if local is None:
                expanded.append(item)
                continue
            kind, value = local
            for match in _matches(value, root):
                library(Path(match).resolve()).places.append((items, len(expanded), kind))
                expanded.append(dict(item, **{kind: match}) if kind else match)
        items[:] = expanded
    for source in built:
        library(source)
    return sorted(libraries.values(), key=lambda found: str(found.source))


def upload(libraries: list[Library], artifact_path: str, write: Callable[[str, bytes], None], say: Callable[[str], None]) -> None:
    """Upload each file to `<artifact_path>/.internal/` and point the libraries at it."""
    if libraries and artifact_path.startswith("/Volumes/"):
        raise CliError(f"an artifact_path in a volume ({artifact_path}) is not supported by the databricks CLI stand-in "
                       "(it uploads libraries to workspace folders only: set workspace.artifact_path under /Workspace)")
    for library in libraries:
        say(f"Uploading {library.shown}...")
        write(remote_path(library, artifact_path), library.source.read_bytes())
    point_at_remote(libraries, artifact_path)


def remote_path(library: Library, artifact_path: str) -> str:
    return f"{artifact_path}/{INTERNAL_DIR}/{library.source.name}"


def point_at_remote(libraries: list[Library], artifact_path: str) -> None:
    """The libraries as the deploy will set them: `bundle plan` shows the uploaded path too
    (databricks/cli acceptance/bundle/artifacts/whl_dynamic, out.plan_create.direct.json), uploading nothing."""
    for library in libraries:
        for items, index, kind in library.places:
            remote = remote_path(library, artifact_path)
            items[index] = dict(items[index], **{kind: remote}) if kind else remote
