"""Target roles: a bundle with its own target names (development, test, production) and a `targets:`
mapping in bundleops.yml goes through validate, deploy and test as the roles dev, staging, prod.

The steps run as subprocesses against the local workspace and the CLI stand-in, which knows
only the bundle's names: a role that reached it untranslated would fail there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bundleops.bundle_files import BundleFiles, Written
from tests.context import snapshots
from tests.steps.project import JOBS, ROOT, bundleops, shop_project

pytestmark = pytest.mark.integration

# The shop bundle with the names real bundles use: its staging body serves test and production.
OWN_NAMES = (
    ROOT.replace("  dev:\n", "  development:\n").replace("  staging:\n", "  test:\n")
    + "  production:\n" + ROOT.split("  staging:\n", 1)[1]
)
MAPPING = "targets:\n  dev: development\n  staging: test\n  prod: production\n"
BUNDLE_HAS = "the bundle has targets development, test, production"


def own_names_project(folder: Path, bundleops_yml: str | None = MAPPING) -> Path:
    return shop_project(folder, changes={"databricks.yml": OWN_NAMES, **({"bundleops.yml": bundleops_yml} if bundleops_yml else {})})


def test_validate_deploy_and_test_run_on_the_bundles_own_target(tmp_path: Path, env: dict[str, str], client: Any) -> None:
    project = own_names_project(tmp_path / "p")

    validated = bundleops(["validate", "--target", "staging"], project, env)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "== bundleops validate --target staging (bundle target test)" in validated.stdout
    assert "bundle shop is valid for staging (bundle target test) (databricks CLI 1.13.0)" in validated.stdout

    deployed = bundleops(["deploy", "--target", "staging"], project, env)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    record = json.loads((project / "test-results" / "deployment-test.json").read_text(encoding="utf-8"))
    assert (record["target"], record["role"], record["root_path"]) == ("test", "staging", "/Workspace/Shared/.bundle/shop/test")
    assert "deployed shop to staging (bundle target test): shop_test_job=" in deployed.stdout
    assert client.workspace.get_status("/Workspace/Shared/.bundle/shop/test/state/resources.json").path.endswith("/Shared/.bundle/shop/test/state/resources.json")
    assert not (project / "test-results" / "deployment-staging.json").exists()

    tested = bundleops(["test", "--target", "staging"], project, env)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "integration tests passed (2 total, 2 passed, 0 failed, 0 errors, 0 skipped)" in tested.stdout
    (run,) = client.jobs.list_runs(job_id=int(record["jobs"]["shop_test_job"]["id"]))
    assert run.state is not None and run.state.result_state is not None and run.state.result_state.value == "SUCCESS"


def test_a_mapped_bundle_target_name_is_accepted_as_its_role(tmp_path: Path, env: dict[str, str]) -> None:
    result = bundleops(["validate", "--target", "test"], own_names_project(tmp_path / "p"), env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bundle shop is valid for staging (bundle target test)" in result.stdout


def test_prod_by_its_bundle_name_is_still_prod_for_the_guard(tmp_path: Path) -> None:
    env = snapshots.environment("github", "pull_request", tmp_path)
    result = bundleops(["validate", "--target", "production"], own_names_project(tmp_path / "p"), env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "::error::refusing --target prod: prod is never deployed from a pull request" in result.stdout


def test_prod_from_the_default_branch_names_both(tmp_path: Path, env: dict[str, str]) -> None:
    env.update(GITLAB_CI="true", CI_PIPELINE_SOURCE="push", CI_COMMIT_BRANCH="main", CI_DEFAULT_BRANCH="main")
    result = bundleops(["validate", "--target", "prod"], own_names_project(tmp_path / "p"), env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bundle shop is valid for prod (bundle target production)" in result.stdout


def test_an_unknown_target_names_the_bundles_targets(tmp_path: Path, env: dict[str, str]) -> None:
    env["DATABRICKS_CLI_PATH"] = str(tmp_path / "no-cli")  # refused before the CLI is looked for
    result = bundleops(["deploy", "--target", "qa"], own_names_project(tmp_path / "p", bundleops_yml=None), env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"unknown target 'qa': --target takes a role (dev, staging, prod); {BUNDLE_HAS}" in result.stderr
    assert "map each role to one of the bundle's targets in bundleops.yml" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_role_the_bundle_lacks_is_refused_with_the_bundles_targets(tmp_path: Path, env: dict[str, str]) -> None:
    env["DATABRICKS_CLI_PATH"] = str(tmp_path / "no-cli")
    unmapped = bundleops(["validate", "--target", "staging"], own_names_project(tmp_path / "a", bundleops_yml=None), env)
    assert unmapped.returncode == 2
    assert f"role staging stands for bundle target staging (no `targets:` mapping, so the same name), which the bundle does not define; {BUNDLE_HAS}" in unmapped.stderr

    mistyped = own_names_project(tmp_path / "b", bundleops_yml="targets:\n  staging: testing\n")
    wrong = bundleops(["test", "--target", "staging"], mistyped, env)
    assert wrong.returncode == 2
    assert f"role staging stands for bundle target testing (targets.staging in {mistyped / 'bundleops.yml'}), which the bundle does not define; {BUNDLE_HAS}" in wrong.stderr


def test_a_bundle_target_several_roles_share_is_ambiguous(tmp_path: Path, env: dict[str, str]) -> None:
    """A bundle with no `targets` has the one target `default`; every role may stand for it, but `--target default` names none."""
    project = shop_project(tmp_path / "p", changes={
        "databricks.yml": "bundle:\n  name: shop\ninclude:\n  - resources/*.yml\n",
        "bundleops.yml": "targets: {dev: default, staging: default, prod: default}\n",
    })
    result = bundleops(["validate", "--target", "default"], project, env)
    assert result.returncode == 2
    assert "--target default is ambiguous" in result.stderr and "maps the roles dev, staging, prod to bundle target default" in result.stderr
    assert "pass the role instead: --target dev or --target staging or --target prod" in result.stderr

    dev = bundleops(["validate", "--target", "dev"], project, env)
    assert dev.returncode == 0, dev.stdout + dev.stderr
    assert "bundle shop is valid for dev (bundle target default)" in dev.stdout


def test_bundle_files_read_targets_from_includes_and_find_lines(tmp_path: Path) -> None:
    project = shop_project(tmp_path / "p", changes={
        "databricks.yml": ROOT,
        "resources/targets.yml": "targets:\n  qa:\n    mode: production\n",
        "resources/jobs.yml": JOBS,
    })
    files = BundleFiles.read(project)
    assert files is not None
    assert files.target_names() == ["dev", "staging", "qa"]
    assert files.find("targets.qa.mode") == Written("resources/targets.yml", 3, "production")
    assert files.find("resources.jobs.shop_test_job.parameters[1].name") == Written("resources/jobs.yml", 8, "commit")
    assert files.find("resources.jobs.shop_test_job.permissions") is None
    assert files.nearest("resources.jobs.shop_test_job.permissions") == Written("resources/jobs.yml", 3)
    assert BundleFiles.read(tmp_path / "empty") is None
