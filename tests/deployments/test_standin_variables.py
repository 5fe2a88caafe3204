"""The CLI stand-in resolves `${var.x}` in workspace.root_path and presets before applying them, as the real CLI does
(acceptance/bundle/variables/resolve-vars-in-root-path; bundle/phases/initialize.go resolves every section but
resources before ApplyTargetMode/ApplyPresets), so the pull-request variables work the same on both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.deployments.project import PR_FOLDER, SHARED_ROOT, pr_project
from tests.localcli.cli import databricks

pytestmark = pytest.mark.integration

PR_VARS = ["--var", "bundleops_root_suffix=-pull-requests/pr-8", "--var", "bundleops_name_prefix=[pr-8] ", "--var", "bundleops_trigger_pause_status=PAUSED"]


def validate(project: Path, env: dict[str, str], extra: list[str]) -> dict:
    result = databricks(["bundle", "validate", "-o", "json", "-t", "staging", *extra], project, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_pull_request_variables_move_rename_and_pause(tmp_path: Path, env: dict[str, str]) -> None:
    project = pr_project(tmp_path / "p")
    resolved = validate(project, env, PR_VARS)
    assert resolved["workspace"]["root_path"] == f"{PR_FOLDER}/pr-8"
    assert resolved["workspace"]["state_path"] == f"{PR_FOLDER}/pr-8/state"
    jobs = resolved["resources"]["jobs"]
    assert jobs["shop_nightly"]["name"] == "[pr-8] shop_nightly"
    assert jobs["shop_nightly"]["schedule"]["pause_status"] == "PAUSED"
    assert jobs["shop_test_job"]["deployment"]["metadata_file_path"] == f"{PR_FOLDER}/pr-8/state/metadata.json"


def test_the_defaults_leave_the_shared_deployment_as_written(tmp_path: Path, env: dict[str, str]) -> None:
    resolved = validate(pr_project(tmp_path / "p"), env, [])
    assert resolved["workspace"]["root_path"] == SHARED_ROOT
    assert resolved["resources"]["jobs"]["shop_nightly"]["name"] == "shop_nightly"
    assert resolved["resources"]["jobs"]["shop_nightly"]["schedule"]["pause_status"] == "UNPAUSED"


def test_a_bad_pause_status_through_a_variable_is_the_real_clis_error(tmp_path: Path, env: dict[str, str]) -> None:
    result = databricks(["bundle", "validate", "-t", "staging", "--var", "bundleops_trigger_pause_status=SOMETIMES"], pr_project(tmp_path / "p"), env)
    assert result.returncode == 1
    assert "invalid value for trigger_pause_status: 'SOMETIMES'" in result.stderr
