"""`bundleops unit` picks the project's own environment, and says so when no Python has pytest.

(Its reports and the publishing of them: tests/publish. A base install with no pytest anywhere:
tests/wheel.)
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.publish.sample_project import write_project
from tests.support.console import run_bundleops

JUNIT = ".bundleops/reports/unit/junit.xml"


def _virtualenv(folder: Path, *on_path: Path) -> Path:
    """A virtualenv without pip (so without pytest) whose site-packages also holds `on_path`; its python."""
    subprocess.run([str(Path(sys.base_prefix) / "bin" / "python3"), "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    site_packages = Path(sysconfig.get_path("purelib", vars={"base": str(folder), "platbase": str(folder)}))
    (site_packages / "extra.pth").write_text("".join(f"{path}\n" for path in on_path), encoding="utf-8")
    return folder / "bin" / "python"


def test_the_tests_run_in_the_projects_own_virtualenv(tmp_path: Path) -> None:
    project = write_project(tmp_path / "repo")
    dependency = tmp_path / "installed-in-the-project-only"
    dependency.mkdir()
    (dependency / "project_dependency.py").write_text("VALUE = 42\n", encoding="utf-8")
    (project / "tests/unit/test_dependency.py").write_text(
        "import project_dependency\n\n\ndef test_the_projects_dependency():\n    assert project_dependency.VALUE == 42\n", encoding="utf-8")
    # pytest and coverage come from this repository's virtualenv; bundleops is not importable there
    python = _virtualenv(project / ".venv", Path(sysconfig.get_path("purelib")), dependency)

    result = run_bundleops(["unit", "--project-root", str(project)], cwd=project)

    assert result.returncode == 1, result.stdout + result.stderr  # the sample's one failing test
    assert f"unit tests run with {python} (the project's .venv)" in result.stdout
    cases = {case.get("name"): case for case in ET.parse(project / JUNIT).getroot().iter("testcase")}
    assert set(cases) == {"test_add", "test_add_is_wrong", "test_the_projects_dependency"}
    assert list(cases["test_the_projects_dependency"]) == []  # passed: it imported what only the project's environment has


def test_a_python_without_pytest_is_a_configuration_error_not_failed_tests(tmp_path: Path) -> None:
    project = write_project(tmp_path / "repo")
    bare = _virtualenv(tmp_path / "bare")

    result = run_bundleops(["unit", "--project-root", str(project), "--python", str(bare)], cwd=project)

    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"no Python here can run the unit tests (they need pytest and coverage): {bare} (--python) has no pytest, coverage" in output
    assert "fix: install pytest and coverage into the project's environment" in output and "pip install 'bundleops[local]'" in output
    assert "unit tests failed" not in output and "Traceback" not in output
    assert not (project / JUNIT).exists()
