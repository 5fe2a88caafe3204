"""Every third-party module the package imports is declared in pyproject.toml, and the extras'
modules are imported only where a command checked for them first (bundleops.extras).

A plain `pip install bundleops` gets the base dependencies only; an import nobody declared works
in this repository's virtualenv (which has everything) and breaks for users. This walks every
module of steps/bundleops, so a new import is checked the day it is written; test_installed.py
runs the commands on a real base install.
"""

from __future__ import annotations

import ast
import functools
import sys
import tomllib
from collections import defaultdict
from importlib.metadata import files, packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bundleops.extras import EXTRAS
from tests.support.package_files import module_paths

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "steps" / "bundleops"
# Where a distribution of an extra may be imported, and why that place is safe on a base install.
# import name -> distributions, read once: each call scans every installed distribution
DISTRIBUTIONS = packages_distributions()
EXTRA_IMPORTERS = {
    "pyspark": ("bundleops.testrunner",  # the test runner: `demo`, `test --local` and its entry point require("local") first
                # a local workspace's pipeline update: its process (pipeline_process.main) requires "local" first
                *(f"bundleops.localworkspace.pipeline_{name}" for name in ("process", "graph", "flows", "expectations", "sql"))),
    "pytest": ("bundleops.testrunner", "bundleops.unit.runner"),  # unit.runner runs in the Python `unit` chose for having pytest
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def third_party_imports() -> dict[str, set[str]]:
    """Top-level name of every absolute import that is neither stdlib nor bundleops -> the modules importing it
    (imports inside functions and TYPE_CHECKING blocks included: a lazy import still has to be installed)."""
    found: dict[str, set[str]] = defaultdict(set)
    for path in module_paths():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("bundleops", "__future__"):
                    found[_import_root(name)].add(_module_name(path))
    return found


def _import_root(name: str) -> str:
    """`yaml` for `yaml.safe_load`; `databricks.sdk` for `databricks.sdk.errors`, since the `databricks`
    namespace is shared by several distributions (databricks-sdk, and databricks-bundles in dev)."""
    parts = name.split(".")
    shared = len(set(DISTRIBUTIONS.get(parts[0], []))) > 1
    return ".".join(parts[:2]) if shared else parts[0]


def declared() -> dict[str, set[str]]:
    """`base` and each extra of pyproject.toml -> the canonical names of the distributions it installs."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    groups = {"base": project["dependencies"], **project["optional-dependencies"]}
    return {group: {canonicalize_name(Requirement(spec).name) for spec in specs} for group, specs in groups.items()}


@functools.cache
def distribution(import_root: str) -> str:
    """The distribution providing an import root (see _import_root), as this (complete) virtualenv has it installed."""
    top, _, inside = import_root.partition(".")
    folder = import_root.replace(".", "/") + "/"
    (name,) = {name for name in DISTRIBUTIONS[top] if not inside or any(str(f).startswith(folder) for f in files(name) or [])}
    return canonicalize_name(name)


def test_the_scan_sees_lazy_and_type_checking_imports() -> None:
    imports = third_party_imports()
    assert "bundleops.localworkspace.tasks" in imports["packaging"]  # inside check_environment
    assert "bundleops.testrunner.local" in imports["pyspark"]  # under TYPE_CHECKING
    assert "bundleops.publish.sonar" in imports["yaml"]  # at the top


def test_every_import_is_a_declared_dependency() -> None:
    groups = declared()
    undeclared = {top: sorted(modules) for top, modules in third_party_imports().items()
                  if not any(distribution(top) in names for group, names in groups.items() if group not in ("dev", "release"))}
    assert undeclared == {}, "declare these in pyproject.toml (base dependencies, or an extra its commands check for)"


def _inside(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def test_extras_are_imported_only_behind_their_check() -> None:
    base = declared()["base"]
    misplaced = {
        (top, module) for top, modules in third_party_imports().items() if distribution(top) not in base
        for module in modules if not _inside(module, EXTRA_IMPORTERS.get(distribution(top), ()))
    }
    assert misplaced == set(), "import these where a command has checked for its extra (bundleops.extras.require), or add them to the base"


def test_the_extras_table_is_pyprojects() -> None:
    groups = declared()
    assert {extra: set(map(canonicalize_name, names)) for extra, names in EXTRAS.items()} == {
        # dev and release are this repository's tooling, never imported by bundleops
        extra: names for extra, names in groups.items() if extra not in ("base", "dev", "release")
    }
