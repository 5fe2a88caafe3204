"""`bundleops sweep` at the root of a repository of bundles sweeps every bundle, each under its own
pull-request folder: the schedule that covers a repository's missed pull-request ends covers all
of its bundles (issue 23)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deployments.project import pr_project
from tests.deployments.test_sweep import folders_under, ours, plant_under
from tests.steps.project import bundleops

pytestmark = pytest.mark.integration


def test_the_sweep_of_a_repository_sweeps_each_bundle(tmp_path: Path, env: dict[str, str], sdk) -> None:  # noqa: ANN001
    repository = tmp_path / "repository"
    for name in ("shop", "till"):
        bundle = pr_project(repository / "bundles" / name)
        databricks_yml = bundle / "databricks.yml"
        databricks_yml.write_text(databricks_yml.read_text(encoding="utf-8").replace("  name: shop\n", f"  name: {name}\n"), encoding="utf-8")
    shop, till = (f"/Workspace/Shared/.bundle/{name}/staging-pull-requests" for name in ("shop", "till"))
    plant_under(sdk, shop, "pr-1", ours("pr-1", 1, 9.0))
    plant_under(sdk, till, "pr-2", ours("pr-2", 2, 8.0))
    plant_under(sdk, till, "pr-3", ours("pr-3", 3, 1.0))

    swept = bundleops(["sweep", "--target", "staging", "--older-than", "7d"], repository, env, timeout=600)

    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert "bundleops run --job sweep --target staging: 2 of 2 bundles passed" in swept.stdout
    assert "sweep removed 1 pull-request deployment(s): pr-1" in swept.stdout
    assert "sweep removed 1 pull-request deployment(s): pr-2" in swept.stdout
    assert (folders_under(sdk, shop), folders_under(sdk, till)) == (set(), {"pr-3"})
