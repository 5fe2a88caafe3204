"""A small bundle-shaped project whose tests really run: the input every publishing test starts from.

`calc/ops.py` has 9 statements. The unit tests execute `add` (one passing, one failing test), the
integration tests execute `scale`; `unused` is never run. Line numbers below are fixed so the
tests can assert exact coverage.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

OPS = '''\
def add(a, b):
    return a + b


def scale(values, factor):
    result = []
    for value in values:
        result.append(value * factor)
    return result


def unused():
    return "never run"
'''
# Statement lines: 1 2 5 6 7 8 9 12 13.
STATEMENTS = {1, 2, 5, 6, 7, 8, 9, 12, 13}
UNIT_EXECUTED = {1, 2, 5, 12}          # imports define every function; only add runs
INTEGRATION_EXECUTED = {1, 5, 6, 7, 8, 9, 12}

UNIT_TESTS = '''\
from calc.ops import add


def test_add():
    assert add(2, 3) == 5


def test_add_is_wrong():
    assert add(2, 2) == 5, "two and two make four"
'''

INTEGRATION_TESTS = '''\
import pytest

from calc.ops import scale


def test_scale():
    assert scale([1, 2], 3) == [3, 6]


@pytest.mark.skip(reason="needs a cluster")
def test_on_cluster():
    pass


def test_scale_empty():
    assert scale([], 3) == []
'''

WORKSPACE_FILES = "/Workspace/Users/x/.bundle/p/staging/files"


def write_project(root: Path) -> Path:
    files = {
        "databricks.yml": "bundle:\n  name: p\n",
        "src/calc/__init__.py": "",
        "src/calc/ops.py": OPS,
        "tests/unit/test_ops.py": UNIT_TESTS,
        "tests/integration/test_scale.py": INTEGRATION_TESTS,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def run_pytest(project: Path, tests: str, junit: Path, *, data_file: Path | None = None, branch: bool = False) -> subprocess.CompletedProcess[str]:
    """pytest (under coverage when data_file is given, measuring branches when asked) in a child process, as a CI job would run it."""
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("COVERAGE_PROCESS_START", None)
    runner = [sys.executable, "-m", "coverage", "run", f"--data-file={data_file}", "--source=src", *(["--branch"] if branch else []), "-m", "pytest"] if data_file else [sys.executable, "-m", "pytest"]
    return subprocess.run(
        [*runner, tests, f"--junitxml={junit}", "-p", "no:cacheprovider", "-q"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def copy_to_workspace(project: Path, base: Path) -> Path:
    """A copy of the project at `<base>/Workspace/Users/x/.bundle/p/staging/files`, as a deploy syncs it."""
    target = base / WORKSPACE_FILES.lstrip("/")
    shutil.copytree(project, target, ignore=shutil.ignore_patterns(".coverage*", "*.xml", "__pycache__"))
    return target


def integration_reports(project: Path, base: Path) -> tuple[Path, Path, Path]:
    """A real integration run in a workspace-shaped copy of the project: (junit.xml, coverage.xml, .coverage).

    The tests run at `<base>/ws/Workspace/Users/x/.bundle/p/staging/files` (the layout `bundle
    deploy` syncs to) and the measured lines are real. Only the location is then moved to where
    the runner sits on Databricks, because this machine has no `/Workspace` (creating one would
    change the host for everyone, and coverage.py's `[paths]` remapping refuses targets that do
    not exist): the Cobertura report gets `<source>/Workspace/Users/x/.bundle/p/staging/files</source>`,
    exactly what `coverage xml` writes with that working directory, and the data file is
    rewritten with coverage.py's CoverageData API so it records literally
    `/Workspace/Users/x/.bundle/p/staging/files/src/calc/ops.py`.
    """
    import xml.etree.ElementTree as ET

    from coverage import CoverageData

    base.mkdir(parents=True, exist_ok=True)
    workspace = copy_to_workspace(project, base / "ws")
    junit = base / "junit.xml"
    result = run_pytest(workspace, "tests/integration", junit, data_file=workspace / ".coverage")
    assert result.returncode == 0, result.stdout + result.stderr
    measured_xml = base / "measured.xml"
    subprocess.run([sys.executable, "-m", "coverage", "xml", "-o", str(measured_xml)], cwd=workspace, check=True, capture_output=True)
    tree = ET.parse(measured_xml)
    for source in tree.getroot().iter("source"):
        assert source.text == str(workspace), source.text
        source.text = WORKSPACE_FILES
    cobertura = base / "coverage.xml"
    tree.write(cobertura)

    measured = CoverageData(basename=str(workspace / ".coverage"))
    measured.read()
    relocated = CoverageData(basename=str(base / "integration.coverage"))
    relocated.add_lines({name.replace(str(workspace), WORKSPACE_FILES, 1): measured.lines(name) or [] for name in measured.measured_files()})
    relocated.write()
    return junit, cobertura, base / "integration.coverage"
