"""The optional extras, and the one error a command gives when the extra it needs is missing.

A base install (`pip install bundleops`) runs every step a CI job needs. Local Spark and pytest
(the `local` extra) and the SonarQube scanner (the `sonar` extra) are large and only a few
commands use them, so those commands check before they start: a missing extra is exit 2 naming
the extra and its install command, never a ModuleNotFoundError traceback halfway through a run.
`tests/wheel` keeps this table equal to pyproject.toml's extras and runs the commands on a
base install.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Sequence

from bundleops.errors import BundleopsError, ExitCode

# extra -> the distributions it installs, as pyproject.toml lists them. pyspark and pytest are
# imported under those names; pysonar is a program (publish/sonar.py looks for it on disk).
EXTRAS: dict[str, tuple[str, ...]] = {
    "local": ("pyspark", "pytest"),
    "sonar": ("pysonar",),
}


def install_command(extra: str) -> str:
    return f"pip install 'bundleops[{extra}]'"


def missing_extra(extra: str, needed_by: str, missing: Sequence[str]) -> BundleopsError:
    """The error for `needed_by` (a command, as the user typed it) lacking part of `extra`."""
    return BundleopsError(
        f"{needed_by} needs {', '.join(missing)} (the bundleops[{extra}] extra), which {sys.executable} does not have",
        fix=f"install the extra into that environment: {install_command(extra)}",
        code=ExitCode.BAD_INPUT,
    )


def require(extra: str, needed_by: str) -> None:
    """Raise the missing-extra error unless this Python can import every distribution of `extra`
    by its name (the `local` extra).

    Modules are found, not imported, so the check costs nothing when they are there; found rather
    than looked up in package metadata, because a Databricks runtime ships pyspark without any.
    """
    missing = [module for module in EXTRAS[extra] if importlib.util.find_spec(module) is None]
    if missing:
        raise missing_extra(extra, needed_by, missing)
