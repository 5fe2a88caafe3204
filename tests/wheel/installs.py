"""The built wheel in clean virtualenvs, as a user installs it: `pip install bundleops[-extras]`.

The wheel is built from a copy of what it is made of (pyproject.toml, README.md, steps/), so an
old `build/` folder of the working tree can never slip stale files into it. Each virtualenv
starts empty, without even pip: this repository's pip installs into it (`pip --python`), taking
the dependencies from the configured index or its cache, pinned by constraints.txt as
scripts/setup does. So the install holds bundleops, its dependencies and nothing else.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WHEEL_SOURCES = ("pyproject.toml", "README.md", "steps")


@dataclass(frozen=True)
class Install:
    """A virtualenv with bundleops installed from the wheel."""

    root: Path
    extras: str

    @property
    def bin(self) -> Path:
        return self.root / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"


def build_wheel(folder: Path) -> Path:
    source = folder / "source"
    source.mkdir(parents=True)
    for name in WHEEL_SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(REPO / name, source / name)
    _pip("wheel", "--no-deps", "--wheel-dir", str(folder / "dist"), str(source))
    (wheel,) = (folder / "dist").glob("bundleops-*.whl")
    return wheel


def pyenv_python(version: str) -> Path | None:
    """The newest installed pyenv Python `version` (e.g. "3.10"), or None."""
    versions = _pyenv_root() / "versions"
    found = [path for path in versions.glob(f"{version}.*") if (path / "bin" / f"python{version}").is_file()]
    if not found:
        return None
    newest = max(found, key=lambda path: tuple(int(part) for part in path.name.split(".") if part.isdigit()))
    return newest / "bin" / f"python{version}"


def pyenv_versions_dir() -> Path:
    return _pyenv_root() / "versions"


def install(python: Path, wheel: Path, folder: Path, extras: str = "") -> Install:
    subprocess.run([str(python), "-m", "venv", "--without-pip", str(folder)], check=True, capture_output=True, timeout=300)
    result = Install(folder, extras)
    _pip("--python", str(result.python), "install", "--constraint", str(REPO / "constraints.txt"), f"{wheel}[{extras}]" if extras else str(wheel))
    return result


def _pyenv_root() -> Path:
    if shutil.which("pyenv"):
        return Path(subprocess.run(["pyenv", "root"], check=True, capture_output=True, text=True, timeout=60).stdout.strip())
    return Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))


def _pip(*args: str) -> None:
    completed = subprocess.run([sys.executable, "-m", "pip", *args, "--quiet", "--disable-pip-version-check"],
                               capture_output=True, text=True, timeout=1200, check=False)
    assert completed.returncode == 0, f"pip {' '.join(args)} failed:\n{completed.stdout}{completed.stderr}"
