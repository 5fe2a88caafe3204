"""Phase 2: the project's integration tests, in this process, under coverage.

In-process because the tests need the runner's SparkSession (one JVM per job) and its fixtures.
The run leaves nothing behind in the project folder (a workspace folder on Databricks): no
bytecode, no `.pytest_cache`, no coverage data file. Coverage paths are relative to the project
root (`src/<package>/x.py`), so `bundleops publish` can map them onto the repository.
Everything the run changes in the interpreter (cwd, sys.path, imported project modules) is put
back, so a second run in the same process sees the second project, not the first.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

if TYPE_CHECKING:
    from bundleops.testrunner.plugin import Context

# pytest's exit codes (pytest.ExitCode), named here to keep pytest out of this module's imports.
PYTEST_OK, PYTEST_TESTS_FAILED, PYTEST_NO_TESTS = 0, 1, 5

EMPTY_COBERTURA = (
    '<?xml version="1.0" ?>\n'
    '<coverage version="0" timestamp="0" lines-valid="0" lines-covered="0" line-rate="0" '
    'branches-covered="0" branches-valid="0" branch-rate="0" complexity="0">\n'
    "\t<sources>\n\t\t<source>.</source>\n\t</sources>\n\t<packages/>\n</coverage>\n"
)


@dataclass(frozen=True)
class PytestOutcome:
    exit_code: int
    coverage_percent: float | None  # None when nothing was measured


def run(
    project_root: Path,
    tests: Path,
    sources: Sequence[Path],
    context: "Context",
    junit_path: Path,
    coverage_path: Path,
) -> PytestOutcome:
    """Run pytest over `tests`; write its JUnit XML and the Cobertura XML of `sources`."""
    import coverage
    import pytest

    from bundleops.testrunner import plugin

    config = project_root / "pyproject.toml"
    cov = coverage.Coverage(
        data_file=None,
        config_file=str(config) if config.is_file() else False,
        source=[str(s) for s in sources],
        messages=False,
    )
    cov.set_option("run:relative_files", True)
    args = [
        str(tests),
        "-p", "no:cacheprovider",
        "--rootdir", str(project_root),
        "--import-mode=importlib",
        f"--junitxml={junit_path}",
        "-o", "junit_family=xunit2",
        "-o", "junit_suite_name=integration",
        "-q",
    ]
    if config.is_file():
        args += ["-c", str(config)]
    with _isolated(project_root, sources):
        plugin.activate(context)
        cov.start()
        try:
            exit_code = int(pytest.main(args, plugins=[plugin]))
        finally:
            cov.stop()
            plugin.activate(None)
        percent = _write_coverage(cov, coverage_path)
    return PytestOutcome(exit_code=exit_code, coverage_percent=percent)


def _write_coverage(cov, coverage_path: Path) -> float | None:
    from coverage.exceptions import NoDataError

    try:
        percent = float(cov.xml_report(outfile=str(coverage_path)))
    except NoDataError:
        coverage_path.write_text(EMPTY_COBERTURA, encoding="utf-8")
        return None
    _relative_sources(coverage_path)
    return percent


def _relative_sources(coverage_path: Path) -> None:
    """File names are already project-relative (relative_files); coverage still lists the absolute
    source folders as <source>, which would leak the workspace path: make it the project root."""
    import xml.etree.ElementTree as ET

    tree = ET.parse(coverage_path)
    sources = tree.getroot().find("sources")
    if sources is not None:
        for source in list(sources):
            sources.remove(source)
        ET.SubElement(sources, "source").text = "."
    tree.write(coverage_path, encoding="utf-8", xml_declaration=True)


@contextmanager
def _isolated(project_root: Path, sources: Sequence[Path]) -> Iterator[None]:
    """cwd = project root, sources importable, no bytecode; all undone afterwards."""
    saved_cwd, saved_path, saved_bytecode = os.getcwd(), list(sys.path), sys.dont_write_bytecode
    before = set(sys.modules)
    os.chdir(project_root)
    sys.path[:0] = [str(s) for s in sources]
    sys.dont_write_bytecode = True
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.dont_write_bytecode = saved_bytecode
        root = str(project_root.resolve())
        for name in set(sys.modules) - before:
            module_file = getattr(sys.modules[name], "__file__", None) or ""
            if module_file.startswith(root):
                del sys.modules[name]
