"""The `--var` flags of a deploy, given alike to `bundle plan` (preview, and the deploy's own plan)
and to `bundle deploy`: a plan made with other variables would show another bundle than the one deployed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bundleops.deploy import same_version
from bundleops.step import StepRun


def deploy_variables(run: StepRun, resolved: dict[str, Any], project_root: Path) -> list[str]:
    """Every `--var` bundleops sets for this target (today: the running bundleops' version, with its wheel written)."""
    return same_version.prepare(resolved, project_root, run.out)
