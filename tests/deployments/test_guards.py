"""`bundleops destroy` and `sweep` refuse what they must never do, before the CLI runs, with exit 2 and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deployments.project import default_branch_push, merge_request, pr_project
from tests.steps.project import bundleops, shop_project

pytestmark = pytest.mark.integration


def refused(args: list[str], project: Path, env: dict[str, str]) -> str:
    result = bundleops(args, project, env, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    return result.stdout + result.stderr


def test_destroy_outside_a_pull_request_refuses_the_shared_staging(tmp_path: Path, env: dict[str, str]) -> None:
    output = refused(["destroy", "--target", "staging"], pr_project(tmp_path / "p"), env)
    assert "this run is not a pull request's" in output and "refusing to destroy the shared staging" in output
    assert "--deployment pr-<number>" in output


@pytest.mark.parametrize("target", ["prod", "dev"])
def test_destroy_refuses_every_role_but_staging(tmp_path: Path, env: dict[str, str], target: str) -> None:
    """prod from the default branch's pipeline, where the prod guard lets it through: destroy itself refuses."""
    output = refused(["destroy", "--target", target], pr_project(tmp_path / "p"), {**env, **default_branch_push()})
    assert f"bundleops destroy removes pull-request deployments of staging only; refusing {target}" in output


def test_prod_is_refused_from_a_pull_request_by_the_guard(tmp_path: Path, env: dict[str, str]) -> None:
    output = refused(["destroy", "--target", "prod"], pr_project(tmp_path / "p"), {**env, **merge_request(3, "feature/x", closed=True)})
    assert "refusing --target prod: prod is never deployed from a pull request" in output


def test_a_pull_request_may_destroy_only_its_own_deployment(tmp_path: Path, env: dict[str, str]) -> None:
    output = refused(["destroy", "--target", "staging", "--deployment", "pr-4"], pr_project(tmp_path / "p"), {**env, **merge_request(3, "feature/x")})
    assert "pull request #3 may destroy its own deployment 'pr-3' only, not 'pr-4'" in output


@pytest.mark.parametrize("deployment", ["staging", "pr-", "pr-0", "../staging", "pr-3/.."])
def test_an_explicit_deployment_must_be_one_the_pattern_makes(tmp_path: Path, env: dict[str, str], deployment: str) -> None:
    output = refused(["destroy", "--target", "staging", "--deployment", deployment], pr_project(tmp_path / "p"), env)
    assert f"--deployment {deployment!r} is not a pull-request deployment id (pattern 'pr-{{number}}')" in output


def test_a_bundle_without_the_variables_cannot_take_a_pull_request_deployment(tmp_path: Path, env: dict[str, str]) -> None:
    project = shop_project(tmp_path / "p")
    output = refused(["deploy", "--target", "staging"], project, {**env, **merge_request(3, "feature/x")})
    assert "this pull request deploys its own staging deployment 'pr-3', but the bundle does not declare the variables" in output
    assert "root_path: /Workspace/Users/<service principal>/.bundle/${bundle.name}/${bundle.target}${var.bundleops_root_suffix}" in output


def test_a_root_path_that_ignores_the_suffix_is_refused_before_anything_is_deleted(tmp_path: Path, env: dict[str, str]) -> None:
    project = pr_project(tmp_path / "p")
    yml = project / "databricks.yml"
    yml.write_text(yml.read_text().replace("${bundle.target}${var.bundleops_root_suffix}", "${bundle.target}"))
    output = refused(["destroy", "--target", "staging", "--deployment", "pr-3"], project, env)
    assert "resolves to the workspace folder /Workspace/Shared/.bundle/shop/staging, the shared deployment's" in output


@pytest.mark.parametrize(("age", "message"), [("7", "'7' is not a duration"), ("7 days", "is not a duration"), ("0d", "would remove the deployments of every open pull request")])
def test_sweep_ages_are_checked(tmp_path: Path, env: dict[str, str], age: str, message: str) -> None:
    output = refused(["sweep", "--target", "staging", "--older-than", age], pr_project(tmp_path / "p"), env)
    assert f"--older-than {message}" in output or message in output
    assert "30m, 12h, 7d, 2w" in output


def test_sweep_refuses_prod(tmp_path: Path, env: dict[str, str]) -> None:
    output = refused(["sweep", "--target", "prod"], pr_project(tmp_path / "p"), {**env, **default_branch_push()})
    assert "bundleops sweep removes pull-request deployments of staging only; refusing prod" in output
