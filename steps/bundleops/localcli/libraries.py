"""Local files named as a job environment's dependencies: uploaded by deploy, as the real CLI does.

A dependency that is a local path (`./dist/x.whl`, `../wheels/*.whl`, `dist/x.whl`) is relative
to the YAML file that wrote it; `validate` shows it relative to the bundle root with a `./`
prefix. `deploy` expands it before taking the lock (`file doesn't exist <path>` or `no files
match pattern: <path>` when nothing is there), then uploads each file to
`<artifact_path>/.internal/<file name>` (`Uploading <path>...`) and sends that workspace path to
the Jobs API. Requirement specifiers, pip flags and absolute paths (`/Workspace/...`,
`/Volumes/...`) pass through unchanged. This is the real CLI's contract (databricks/cli
bundle/libraries; acceptance/bundle/environments/dependencies records the upload and the
rewritten path).

Not supported here, each an error naming it: a local path inside a pip flag (`-r ./requirements.txt`,
`-e ./pkg`), a glob that matches several files (the real CLI keeps the newest wheel of each
package), and an `artifact_path` in a volume.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from bundleops.localcli.diagnostics import CliError, Diagnostics

INTERNAL_DIR = ".internal"
_LOCAL_PIP_FLAGS = ("-r ", "-e ")


def is_local(dependency: str) -> bool:
    """The real CLI's rule: a path without a scheme that is relative (pip flags and requirement specifiers are not)."""
    text = dependency.strip().strip("'\"")
    if not text or text.startswith(("-", "/")) or "://" in text or " " in text:
        return False
    return text.startswith(".") or "/" in text or text.endswith(".whl")


def translate(job: dict[str, Any], folder: Path, root: Path, where: str, diagnostics: Diagnostics) -> None:
    """Rewrite the local dependencies of one job's environments relative to the bundle root, as validate shows them."""
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
                relative = Path(os.path.relpath(folder / dependency.strip().strip("'\""), root)).as_posix()
                dependencies[index] = relative if relative.startswith("..") else f"./{relative}"


@dataclass
class Library:
    """One local file and the places (job, environment, dependency index) that name it."""

    source: Path
    shown: str
    places: list[tuple[str, int, int]] = field(default_factory=list)


def _local_dependencies(jobs: dict[str, dict[str, Any]]) -> Iterator[tuple[str, int, int, str]]:
    for key, job in jobs.items():
        for number, environment in enumerate(job.get("environments") or []):
            for index, dependency in enumerate(((environment or {}).get("spec") or {}).get("dependencies") or []):
                if isinstance(dependency, str) and is_local(dependency):
                    yield key, number, index, dependency


def expand(jobs: dict[str, dict[str, Any]], root: Path) -> list[Library]:
    """The files the local dependencies name; raises CliError (before any lock) when one is missing."""
    libraries: dict[Path, Library] = {}
    for key, number, index, dependency in _local_dependencies(jobs):
        matches = sorted(glob.glob(str(root / dependency)))
        if not matches:
            raise CliError(f"no files match pattern: {dependency}" if glob.has_magic(dependency) else f"file doesn't exist {dependency}")
        if len(matches) > 1:
            raise CliError(f"{dependency} matches {len(matches)} files; the databricks CLI stand-in does not choose among them (name one file)")
        source = Path(matches[0]).resolve()
        library = libraries.setdefault(source, Library(source, Path(os.path.relpath(source, root)).as_posix()))
        library.places.append((key, number, index))
    return list(libraries.values())


def upload(libraries: list[Library], jobs: dict[str, dict[str, Any]], artifact_path: str,
           write: Callable[[str, bytes], None], say: Callable[[str], None]) -> None:
    """Upload each file to `<artifact_path>/.internal/` and point the dependencies at it."""
    if libraries and artifact_path.startswith("/Volumes/"):
        raise CliError(f"artifact_path {artifact_path} is a volume: the databricks CLI stand-in uploads libraries to workspace folders only")
    for library in libraries:
        say(f"Uploading {library.shown}...")
        write(remote_path(library, artifact_path), library.source.read_bytes())
    point_at_remote(libraries, jobs, artifact_path)


def remote_path(library: Library, artifact_path: str) -> str:
    return f"{artifact_path}/{INTERNAL_DIR}/{library.source.name}"


def point_at_remote(libraries: list[Library], jobs: dict[str, dict[str, Any]], artifact_path: str) -> None:
    """The dependencies as the deploy will set them: `bundle plan` shows the uploaded path too
    (databricks/cli acceptance/bundle/artifacts/whl_dynamic, out.plan_create.direct.json), uploading nothing."""
    for library in libraries:
        for key, number, index in library.places:
            jobs[key]["environments"][number]["spec"]["dependencies"][index] = remote_path(library, artifact_path)
