"""`bundleops validate`: the CLI's validation plus the promotion policy, each finding naming file and key."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.steps.project import JOBS, ROOT, bundleops, shop_project

pytestmark = pytest.mark.integration


def test_a_valid_bundle_passes(tmp_path: Path, env: dict[str, str]) -> None:
    result = bundleops(["validate", "--target", "staging"], shop_project(tmp_path / "p"), env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bundle shop is valid for staging (databricks CLI 1.13.0)" in result.stdout


def test_policy_findings_name_file_and_key(tmp_path: Path, env: dict[str, str]) -> None:
    unsafe = ROOT.replace("  staging:\n    mode: production", "  staging:\n    mode: development").replace(
        "    run_as:\n      service_principal_name: 11111111-2222-3333-4444-555555555555\n", ""
    ).replace("root_path: /Workspace/Shared/", "root_path: /Workspace/Users/dana@example.com/")
    jobs = JOBS.replace("shop_test_job", "shop_checks")
    result = bundleops(["validate", "--target", "staging"], shop_project(tmp_path / "p", changes={"databricks.yml": unsafe, "resources/jobs.yml": jobs}), env)
    out = result.stdout + result.stderr
    assert result.returncode == 2, out  # the CLI rejects the personal root_path in development mode; the findings are shown too
    assert "rejected the bundle configuration: root_path must start with '~/' or contain the current username" in out
    assert "databricks.yml:10: targets.staging.mode: a shared target must set `mode: production` (it is development)" in out
    assert "databricks.yml:9: targets.staging.run_as: a shared target must run its jobs as a service principal" in out
    assert "databricks.yml:12: targets.staging.workspace.root_path: points into a person's folder (/Users/dana@example.com)" in out
    assert "resources/jobs.yml:2: resources.jobs.shop_test_job: the integration-test job is missing (jobs: shop_checks)" in out


def test_a_configured_test_job_key_is_accepted(tmp_path: Path, env: dict[str, str]) -> None:
    project = shop_project(tmp_path / "p", changes={"resources/jobs.yml": JOBS.replace("shop_test_job", "shop_checks"), "bundleops.yml": "test:\n  job: shop_checks\n"})
    result = bundleops(["validate", "--target", "staging"], project, env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cli_errors_are_bad_configuration_quoting_the_cli(tmp_path: Path, env: dict[str, str]) -> None:
    project = shop_project(tmp_path / "p", changes={"resources/bad.yml": "resources:\n  dashboards:\n    p:\n      display_name: p\n"})
    result = bundleops(["validate", "--target", "staging"], project, env)
    assert result.returncode == 2
    assert "resource type 'dashboards' is not supported" in result.stdout
    assert ("`databricks bundle validate -t staging` rejected the bundle configuration: resource type 'dashboards' is not supported "
            "by the databricks CLI stand-in (it deploys jobs, pipelines, schemas, volumes)") in result.stderr
    assert "fix: correct databricks.yml (or the file the CLI names) as the CLI says" in result.stderr


def test_missing_cli_names_the_install_command(tmp_path: Path, env: dict[str, str]) -> None:
    env["DATABRICKS_CLI_PATH"] = str(tmp_path / "nowhere" / "databricks")
    result = bundleops(["validate", "--target", "staging"], shop_project(tmp_path / "p"), env)
    assert result.returncode == 2
    assert "the Databricks CLI was not found" in result.stderr
    assert "https://raw.githubusercontent.com/databricks/setup-cli/main/install.sh" in result.stderr


def test_an_old_cli_is_refused(tmp_path: Path, env: dict[str, str]) -> None:
    old = tmp_path / "old" / "databricks"
    old.parent.mkdir()
    old.write_text("#!/bin/sh\necho 'Databricks CLI v0.218.0'\n")
    old.chmod(old.stat().st_mode | stat.S_IXUSR)
    env["DATABRICKS_CLI_PATH"] = str(old)
    result = bundleops(["validate", "--target", "staging"], shop_project(tmp_path / "p"), env)
    assert result.returncode == 2
    assert f"the Databricks CLI at {old} is 0.218.0; bundleops needs >= 1.0.0" in result.stderr


def test_prod_from_a_pull_request_is_refused_before_the_cli_runs(tmp_path: Path, env: dict[str, str]) -> None:
    env.update(GITLAB_CI="true", CI_PIPELINE_SOURCE="merge_request_event", CI_MERGE_REQUEST_IID="3", CI_DEFAULT_BRANCH="main",
               CI_MERGE_REQUEST_SOURCE_BRANCH_NAME="feature/x", CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main")
    env["DATABRICKS_CLI_PATH"] = os.devnull  # the guard must stop the step first
    result = bundleops(["validate", "--target", "prod"], shop_project(tmp_path / "p"), env)
    assert result.returncode == 2
    assert "prod" in result.stderr and "pull_request" in result.stderr


def test_without_target_a_shell_validates_the_plans_target_dev(tmp_path: Path, env: dict[str, str]) -> None:
    """A developer's shell plans dev (README's promotion table): `bundleops validate` needs no --target."""
    result = bundleops(["validate"], shop_project(tmp_path / "p"), env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bundleops validate --target dev" in result.stdout
    assert "bundle shop is valid for dev" in result.stdout


def test_a_shell_may_validate_prod_but_never_deploy_it(tmp_path: Path, env: dict[str, str]) -> None:
    """validate only looks at prod; deploy would change it, and break-glass does not open prod to a shell."""
    staging = ROOT.split("  staging:\n", 1)[1]  # the last target of ROOT: prod is made the same way
    project = shop_project(tmp_path / "p", changes={"databricks.yml": ROOT + "  prod:\n" + staging})
    looked = bundleops(["validate", "--target", "prod"], project, env)
    assert looked.returncode == 0, looked.stdout + looked.stderr
    assert "bundle shop is valid for prod" in looked.stdout
    env["DATABRICKS_CLI_PATH"] = os.devnull  # the guard must stop the deploy before any CLI call
    deployed = bundleops(["deploy", "--target", "prod", "--break-glass", "incident 7"], project, env)
    assert deployed.returncode == 2
    assert "prod is changed only from CI, not from a developer's shell" in deployed.stderr
