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


def run_pytest(project: Path, tests: str, junit: Path, *, data_file: Path | None = None) -> subprocess.CompletedProcess[str]:
    """pytest (under coverage when data_file is given) in a child process, as a CI job would run it."""
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("COVERAGE_PROCESS_START", None)
    runner = [sys.executable, "-m", "coverage", "run", f"--data-file={data_file}", "--source=src", "-m", "pytest"] if data_file else [sys.executable, "-m", "pytest"]
    return subprocess.run(
        [*runner, tests, f"--junitxml={junit}", "-p", "no:cacheprovider", "-q"],
        cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def copy_to_workspace(project: Path, base: Path) -> Path:
    """A copy of the project at `<base>/Workspace/Users/x/.bundle/p/staging/files`, as a deploy syncs it."""
    target = base / WORKSPACE_FILES.lstrip("/")
    shutil.copytree(project, target, ignore=shutil.ignore_patterns(".coverage*", "*.xml", "__pycache__"))
    return target
