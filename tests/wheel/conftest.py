"""The wheel, built once per test run, installed into clean virtualenvs made once per run and
shared by every test (and every pytest-xdist worker) that uses them: the tests run commands in an
install, none changes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import once
from tests.wheel import installs
from tests.wheel.installs import Install


@pytest.fixture(scope="session")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return once.shared_folder(tmp_path_factory, "wheel-installs")


@pytest.fixture(scope="session")
def wheel(shared: Path) -> Path:
    with once.exclusive(shared / "wheel.lock"):
        built = sorted((shared / "wheel" / "dist").glob("bundleops-*.whl"))
        return built[0] if built else installs.build_wheel(shared / "wheel")


def installed(version: str, wheel: Path, shared: Path, extras: str = "") -> Install:
    """bundleops from the wheel in a clean virtualenv of pyenv's Python `version`, made by the first
    test of the run that asks for it; skips when that Python is absent."""
    python = installs.pyenv_python(version)
    if python is None:
        pytest.skip(f"Python {version} is not installed (no {installs.pyenv_versions_dir()}/{version}.*): `pyenv install {version}`; CI machines have it")
    name = f"venv-{version}" + (f"-{extras}" if extras else "")
    with once.exclusive(shared / f"{name}.lock"):
        done = shared / f"{name}.installed"
        if done.is_file():
            return Install(shared / name, extras)
        install = installs.install(python, wheel, shared / name, extras)
        done.touch()
        return install


@pytest.fixture(scope="session", params=["3.10", "3.12"])
def base(request: pytest.FixtureRequest, wheel: Path, shared: Path) -> Install:
    """A base install: no extras, no dev tools."""
    return installed(request.param, wheel, shared)


@pytest.fixture(scope="session")
def with_local(wheel: Path, shared: Path) -> Install:
    """bundleops[local] on Python 3.12 (a Databricks runtime's version)."""
    return installed("3.12", wheel, shared, "local")
