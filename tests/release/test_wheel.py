"""The wheel and sdist a platform team publishes (docs/releasing.md): built as `python -m build`
builds them (the sdist first, then the wheel from the unpacked sdist, so a file the sdist misses is
missing from the wheel too), checked with `twine check --strict`, and the wheel's contents compared
with the package's files in the repository.

The build runs without isolation: the suite never downloads (setuptools, build and twine come from
the `release` extra, which `dev` includes, and constraints.txt).
"""

from __future__ import annotations

import configparser
import os
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from bundleops import __version__
from tests.release.scratch import copy_repository, repository_files

VENV_BIN = Path(sys.executable).parent
PACKAGE_ROOT = "steps/"
DIST_INFO = f"bundleops-{__version__}.dist-info/"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bundleops' sdist and wheel, built from a copy of the repository (the build writes into its source)."""
    source = copy_repository(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    return dist / f"bundleops-{__version__}-py3-none-any.whl"


def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def package_files() -> set[str]:
    """Every file of the package in the repository, as the wheel names it (`bundleops/...`)."""
    return {name.removeprefix(PACKAGE_ROOT) for name in repository_files() if name.startswith(PACKAGE_ROOT + "bundleops/")}


def test_the_build_makes_one_sdist_and_one_wheel_of_this_version(dist: Path) -> None:
    assert sorted(path.name for path in dist.iterdir()) == [f"bundleops-{__version__}-py3-none-any.whl", f"bundleops-{__version__}.tar.gz"]


def test_the_wheel_holds_every_package_file_and_nothing_else(wheel: Path) -> None:
    """Modules and resources alike: a resource that no package-data glob covers is missing here."""
    expected = package_files()
    packages = {name.rsplit("/", 1)[0] for name in expected if name.endswith("/__init__.py")}
    assert {"bundleops", "bundleops/testrunner", "bundleops/localworkspace", "bundleops/localcli"} <= packages
    names = wheel_names(wheel)
    shipped = {name for name in names if not name.startswith(DIST_INFO)}
    assert sorted(expected - shipped) == [], "files of the package missing from the wheel"
    assert sorted(shipped - expected) == [], "files in the wheel that the repository does not have"
    assert {DIST_INFO + name for name in ("METADATA", "WHEEL", "entry_points.txt", "RECORD")} <= names


def test_the_entry_points_are_the_console_script_and_the_test_job_task(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        text = archive.read(DIST_INFO + "entry_points.txt").decode()
    entry_points = configparser.ConfigParser()
    entry_points.read_string(text)
    assert dict(entry_points["console_scripts"]) == {"bundleops": "bundleops.cli:main"}
    # The test job's python_wheel_task runs package_name bundleops, entry_point testrunner.
    assert dict(entry_points["bundleops.tasks"]) == {"testrunner": "bundleops.testrunner.__main__:entry_point"}


def test_the_metadata_names_this_version_and_the_runtime_dependencies(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        metadata = Parser().parsestr(archive.read(DIST_INFO + "METADATA").decode())
    assert metadata["Name"] == "bundleops"
    assert metadata["Version"] == __version__
    assert metadata["Requires-Python"] == ">=3.10"
    required = [value.split(";")[0] for value in metadata.get_all("Requires-Dist") if "extra ==" not in value]
    assert {requirement.split(">")[0] for requirement in required} >= {"databricks-sdk", "pyyaml", "requests"}


def test_the_wheel_alone_runs_the_command_it_installs(wheel: Path, tmp_path: Path) -> None:
    """The wheel on sys.path (zipimport), not the working tree: its code answers."""
    env = {**os.environ, "PYTHONPATH": str(wheel)}
    result = subprocess.run([sys.executable, "-m", "bundleops", "--version"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"bundleops {__version__}"
    located = subprocess.run(
        [sys.executable, "-c", "import bundleops; print(bundleops.__file__)"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert located.stdout.strip().startswith(str(wheel)), located.stdout + located.stderr


def test_twine_check_passes_for_both(dist: Path) -> None:
    files = sorted(map(str, dist.iterdir()))
    result = subprocess.run([str(VENV_BIN / "twine"), "check", "--strict", *files], capture_output=True, text=True, timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2, result.stdout
