"""The Python modules of steps/bundleops, for the tests that scan every module.

The shipped projects (bundleops.shipped: the bundle template and the example) hold Python files of
their own, which import the project's packages and pyspark: they are files the wheel carries, not
bundleops modules, so the scans leave them out.
"""

from __future__ import annotations

from pathlib import Path

from bundleops import shipped

PACKAGE = Path(__file__).resolve().parents[2] / "steps" / "bundleops"
SHIPPED_PROJECTS = (shipped.BUNDLE_TEMPLATE, shipped.EXAMPLE_PROJECT.parent)


def module_paths() -> list[Path]:
    """Every .py file of the package outside the shipped projects, sorted."""
    return [path for path in sorted(PACKAGE.rglob("*.py")) if not any(folder in path.parents for folder in SHIPPED_PROJECTS)]
