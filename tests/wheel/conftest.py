"""The wheel, built once per session, installed into clean virtualenvs shared by a module's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.wheel import installs
from tests.wheel.installs import Install


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return installs.build_wheel(tmp_path_factory.mktemp("wheel"))


def installed(version: str, wheel: Path, folder: Path, extras: str = "") -> Install:
    """bundleops from the wheel in a fresh virtualenv of pyenv's Python `version`; skips when that Python is absent."""
    python = installs.pyenv_python(version)
    if python is None:
        pytest.skip(f"Python {version} is not installed (no {installs.pyenv_versions_dir()}/{version}.*): `pyenv install {version}`; CI machines have it")
    return installs.install(python, wheel, folder, extras)


@pytest.fixture(scope="module", params=["3.10", "3.12"])
def base(request: pytest.FixtureRequest, wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Install:
    """A base install: no extras, no dev tools."""
    return installed(request.param, wheel, tmp_path_factory.mktemp(f"venv-{request.param}"))


@pytest.fixture(scope="module")
def with_local(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Install:
    """bundleops[local] on Python 3.12 (a Databricks runtime's version)."""
    return installed("3.12", wheel, tmp_path_factory.mktemp("venv-local"), "local")
