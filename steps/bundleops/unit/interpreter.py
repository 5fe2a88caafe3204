"""Which Python runs a project's unit tests: the project's own environment when it has one.

Unit tests import the project's own dependencies, which live in the project's environment, not
necessarily in the one bundleops is installed in (a tool virtualenv, pipx, a base install). So
the tests run under the first of these that can import pytest and coverage:

1. `--python PATH`, when given (then only that one);
2. the project's virtualenv: `<project>/.venv`, then `<project>/venv`;
3. the active virtualenv (`$VIRTUAL_ENV`);
4. the Python that runs bundleops;
5. `python3`, then `python`, on PATH.

When none can, the step says so, naming each candidate and what it lacks (exit 2), instead of
reporting a failed test run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from bundleops.errors import BundleopsError, ExitCode
from bundleops.extras import install_command

NEEDED = ("pytest", "coverage")
PROJECT_VENVS = (".venv", "venv")
# Prints the names in argv that this Python cannot import (found, not imported: fast and side-effect free).
_PROBE = "import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))"


@dataclass(frozen=True)
class Candidate:
    python: str
    origin: str

    def describe(self) -> str:
        return f"{self.python} ({self.origin})"


def candidates(root: Path, environ: Mapping[str, str], explicit: str | None) -> list[Candidate]:
    """The interpreters to try, in order, each environment once."""
    if explicit:
        return [Candidate(explicit, "--python")]
    found = [Candidate(python, f"the project's {name}") for name in PROJECT_VENVS if (python := _venv_python(root / name))]
    if environ.get("VIRTUAL_ENV") and (python := _venv_python(Path(environ["VIRTUAL_ENV"]))):
        found.append(Candidate(python, "the active virtualenv, $VIRTUAL_ENV"))
    found.append(Candidate(sys.executable, "the Python running bundleops"))
    found += [Candidate(python, f"{name} on PATH") for name in ("python3", "python") if (python := shutil.which(name, path=environ.get("PATH")))]
    unique: dict[tuple[str, str], Candidate] = {}
    for candidate in found:
        unique.setdefault(_environment(candidate.python), candidate)
    return list(unique.values())


def _environment(python: str) -> tuple[str, str]:
    """What identifies a Python's environment: `bin/python` and `bin/python3` of one virtualenv are the
    same, but a virtualenv's python (a symlink to its base interpreter) is not the base interpreter."""
    return os.path.dirname(os.path.abspath(python)), os.path.realpath(python)


def choose(root: Path, environ: Mapping[str, str], explicit: str | None = None) -> Candidate:
    """The first candidate with pytest and coverage; else exit 2 with what each one lacks."""
    lacking: list[str] = []
    for candidate in candidates(root, environ, explicit):
        problem = _missing(candidate.python, root, environ)
        if not problem:
            return candidate
        lacking.append(f"{candidate.describe()} {problem}")
    raise BundleopsError(
        f"no Python here can run the unit tests (they need {' and '.join(NEEDED)}): " + "; ".join(lacking),
        fix=f"install {' and '.join(NEEDED)} into the project's environment (e.g. `.venv/bin/python -m pip install {' '.join(NEEDED)}`), "
        f"or into bundleops' own ({install_command('local')}), or name one with --python",
        code=ExitCode.BAD_INPUT,
    )


def _venv_python(folder: Path) -> str | None:
    for python in (folder / "bin" / "python", folder / "Scripts" / "python.exe"):
        if python.is_file():
            return str(python)
    return None


def _missing(python: str, root: Path, environ: Mapping[str, str]) -> str | None:
    """Why `python` cannot run the tests (`has no pytest, coverage`, or why it did not start); None when it can."""
    try:
        probe = subprocess.run([python, "-c", _PROBE, *NEEDED], cwd=root, env=dict(environ), capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"does not run ({error})"
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["no output"])[-1]
        return f"does not run (exit {probe.returncode}: {last})"
    missing = probe.stdout.split()
    return f"has no {', '.join(missing)}" if missing else None
