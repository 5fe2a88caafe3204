"""`artifacts`: files the deploy builds locally and uploads beside the bundle, as the real CLI does.

The real CLI's contract (databricks/cli bundle/artifacts prepare.go, build.go, expand_globs.go;
acceptance/bundle/artifacts): `path` and `files[].source` are relative to the YAML file that
wrote them and shown absolute by `validate`; `path` defaults to the bundle root. A `whl` artifact
with neither `build` nor `files` is built with `python setup.py bdist_wheel`, and a `whl`
artifact without `files` picks up `<path>/dist/*.whl`. Files given without a build command are
expanded at validate (`<source>: no matching files`); with one, `deploy` and `plan` print
`Building <name>...`, run the command in `path` (a failure is `build failed <name>, error: exit
status N, output: <output>`) and expand the globs afterwards. Each built file is uploaded to
`<artifact_path>/.internal/` with the local libraries (libraries.py), whether a task names it or not.

The command runs with `bash -ec` (or `executable: sh`), so it stops at the first failing line.
Refused by name: `dynamic_version: true` (the real CLI patches the wheel's version), an
`executable` other than `bash` or `sh`, and artifact types other than `whl` and `jar`.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Callable

from bundleops.localcli.diagnostics import CliError, Diagnostics

TYPES = (None, "whl", "jar")
KEYS = ("type", "path", "build", "files", "dynamic_version", "executable")
SHELLS = (None, "bash", "sh")


def absolutize(artifacts: Any, folder: Path) -> None:
    """Make `path` and `files[].source` absolute against the folder of the file that wrote them."""
    for artifact in (artifacts or {}).values() if isinstance(artifacts, dict) else ():
        if not isinstance(artifact, dict):
            continue
        if isinstance(artifact.get("path"), str) and "${" not in artifact["path"]:
            artifact["path"] = os.path.normpath(folder / artifact["path"])
        for file in artifact.get("files") or []:
            if isinstance(file, dict) and isinstance(file.get("source"), str):
                file["source"] = os.path.normpath(folder / file["source"])


def _default_python() -> str:
    return "python" if shutil.which("python") else "python3"


def _expand(name: str, artifact: dict[str, Any], root: Path) -> list[str]:
    """The files of one artifact, its globs expanded; a pattern that matches nothing is an error
    naming it relative to the bundle root (the real CLI names it relative to the file that wrote it)."""
    found: list[str] = []
    for number, file in enumerate(artifact.get("files") or []):
        matches = sorted(glob.glob(file["source"]))
        if not matches:
            raise CliError(f"{os.path.relpath(file['source'], root)}: no matching files\n  at artifacts.{name}.files[{number}].source")
        found.extend(matches)
    return found


def prepare(config: dict[str, Any], root: Path, diagnostics: Diagnostics) -> None:
    """Fill in the real CLI's defaults for each artifact and expand the files of those without a build."""
    artifacts = config.get("artifacts") or {}
    for name in sorted(artifacts):
        artifact = artifacts[name]
        if not isinstance(artifact, dict):
            diagnostics.error("Artifact not properly configured", detail="please specify artifact properties", path=f"artifacts.{name}")
            continue
        unsupported = [key for key in artifact if key not in KEYS] + (["dynamic_version"] if artifact.get("dynamic_version") is True else [])
        if artifact.get("type") not in TYPES:
            unsupported.append(f"type: {artifact['type']}")
        if artifact.get("executable") not in SHELLS:
            unsupported.append(f"executable: {artifact['executable']}")
        for key in unsupported:
            diagnostics.error(f"artifact key '{key}' is not supported by the databricks CLI stand-in", path=f"artifacts.{name}")
        artifact.setdefault("path", str(root))
        if artifact.get("type") == "whl":
            if not artifact.get("build") and not artifact.get("files"):
                artifact["build"] = f"{_default_python()} setup.py bdist_wheel"
            if not artifact.get("files"):
                artifact["files"] = [{"source": os.path.join(artifact["path"], "dist", "*.whl")}]
        if not artifact.get("build") and not artifact.get("files"):
            diagnostics.error("misconfigured artifact: please specify 'build' or 'files' property", path=f"artifacts.{name}")
        elif not artifact.get("build") and not unsupported:
            try:
                _expand(name, artifact, root)
            except CliError as error:
                summary, _, at = str(error).partition("\n  at ")
                diagnostics.error(summary, path=at)


def build(config: dict[str, Any], root: Path, say: Callable[[str], None]) -> list[Path]:
    """Run each artifact's build command in its `path`, in name order; every file the artifacts name."""
    files: list[Path] = []
    artifacts = config.get("artifacts") or {}
    for name in sorted(artifacts):
        artifact = artifacts[name]
        if artifact.get("build"):
            say(f"Building {name}...")
            done = subprocess.run([artifact.get("executable") or "bash", "-ec", artifact["build"]], cwd=artifact["path"], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, check=False)
            if done.returncode != 0:
                raise CliError(f"build failed {name}, error: exit status {done.returncode}, output: {done.stdout}")
        files.extend(Path(found).resolve() for found in _expand(name, artifact, root))
    return files
