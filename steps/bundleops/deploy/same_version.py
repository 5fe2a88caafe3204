"""The test job inside the workspace runs the bundleops version that this CI job runs.

A bundle opts in by declaring the variable `bundleops_version` and naming bundleops through it in
its test job's environment; the deploy sets it to the running version (`--var`), so the version
comes from the CI job, never from a pin that drifts. Three ways for the workspace to get that
version (docs/testrunner.md):
- shipped wheel (the template's default): the dependency is a local path under
  `.bundleops/wheels/` (`../.bundleops/wheels/bundleops-${var.bundleops_version}-py3-none-any.whl`);
  the deploy writes the wheel of the running code there first and the CLI uploads it with the
  bundle, to `${workspace.artifact_path}/.internal/`. No index is needed in the workspace.
- a Unity Catalog volume the platform team fills: `/Volumes/.../bundleops-${var.bundleops_version}-py3-none-any.whl`.
- a private index: `bundleops==${var.bundleops_version}`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import bundleops
from bundleops.deploy import wheel
from bundleops.output.writers import CIWriter

VARIABLE = "bundleops_version"
WHEEL_FOLDER = ".bundleops/wheels"


def _dependencies(config: dict[str, Any]) -> list[str]:
    jobs = (config.get("resources") or {}).get("jobs") or {}
    return [
        dependency
        for job in jobs.values()
        for environment in job.get("environments") or []
        for dependency in (environment.get("spec") or {}).get("dependencies") or []
        if isinstance(dependency, str)
    ]


def ships_wheel(config: dict[str, Any]) -> bool:
    """True when a job environment names a wheel under `.bundleops/wheels/` (as `validate`/`summary` show local paths)."""
    return any(dependency.startswith(f"./{WHEEL_FOLDER}/") for dependency in _dependencies(config))


def prepare(config: dict[str, Any], project_root: Path, out: CIWriter) -> list[str]:
    """Write the running bundleops' wheel where the bundle names it, and return the `--var` that
    pins the bundle's `bundleops_version` to the running version (none when it declares no such variable)."""
    if ships_wheel(config):
        path = wheel.build(project_root / WHEEL_FOLDER)
        out.info(f"shipping the running bundleops with the bundle: {path.relative_to(project_root)}")
    if VARIABLE not in (config.get("variables") or {}):
        return []
    out.info(f"the test job's environment gets bundleops {bundleops.__version__} (--var {VARIABLE}={bundleops.__version__})")
    return ["--var", f"{VARIABLE}={bundleops.__version__}"]
