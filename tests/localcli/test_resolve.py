"""The stand-in's configuration resolver on small bundles: includes, targets, variables, modes, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bundleops.localcli.bundle import Bundle, Options, resolve
from bundleops.localcli.diagnostics import CliError
from bundleops.localcli.user import current_user
from tests.localcli.bundles import orders_bundle, write_bundle

HUMAN = current_user("dev.user@example.com", "42")
PRINCIPAL = current_user("0f6b7c1e-9c2a-4f55-8d9e-2a4b6c8d0e1f", "7", "ci-deployer")


def _resolve(root: Path, target: str | None = None, variables: tuple[str, ...] = (), environ: dict[str, str] | None = None,
             user: dict[str, Any] = HUMAN) -> Bundle:
    return resolve(Options(target=target, variables=variables, start=root), lambda config: user, environ or {})


def _errors(bundle: Bundle) -> list[str]:
    return [item.summary for item in bundle.diagnostics.items if item.severity == "error"]


def test_dev_target_resolves_includes_paths_variables_and_dev_mode(tmp_path: Path) -> None:
    bundle = _resolve(orders_bundle(tmp_path))
    assert _errors(bundle) == []
    root = "/Workspace/Users/dev.user@example.com/.bundle/orders/dev"
    assert bundle.target == "dev"
    assert bundle.workspace["root_path"] == root
    assert bundle.workspace["file_path"] == f"{root}/files"
    assert bundle.workspace["state_path"] == f"{root}/state"
    job = bundle.jobs["orders_job"]
    assert job["name"] == "[dev dev_user] orders_job"
    assert job["tags"] == {"dev": "dev_user"}
    assert job["tasks"][0]["spark_python_task"]["python_file"] == f"{root}/files/src/main.py"
    assert job["tasks"][0]["spark_python_task"]["parameters"] == ["--catalog", "dev_cat", "--out", "/Volumes/dev_cat/ci/reports"]
    test_job = bundle.jobs["orders_test_job"]
    assert test_job["tasks"][0]["notebook_task"]["notebook_path"] == f"{root}/files/src/nb"
    assert test_job["parameters"] == [{"name": "report_folder", "default": "/Volumes/dev_cat/ci/reports/runs"}]
    assert test_job["schedule"]["pause_status"] == "PAUSED"
    assert bundle.lock_enabled is False


def test_prod_target_overrides_variables_root_run_as_and_permissions(tmp_path: Path) -> None:
    bundle = _resolve(orders_bundle(tmp_path), target="prod", user=PRINCIPAL)
    assert _errors(bundle) == []
    assert bundle.workspace["root_path"] == "/Workspace/Shared/.bundle/orders/prod"
    job = bundle.jobs["orders_job"]
    assert job["name"] == "orders_job"
    assert "tags" not in job
    assert job["run_as"] == {"service_principal_name": "11111111-2222-3333-4444-555555555555"}
    # the deployer is added as owner, as the real CLI's FixPermissions does (acceptance validate/permissions)
    assert job["permissions"] == [{"level": "CAN_VIEW", "group_name": "data-team"}, {"level": "IS_OWNER", "service_principal_name": PRINCIPAL["userName"]}]
    assert bundle.config["variables"]["catalog"]["value"] == "prod_cat"
    assert bundle.jobs["orders_test_job"]["schedule"]["pause_status"] == "UNPAUSED"  # the real CLI's default (resource_mutator.go)
    assert bundle.lock_enabled is True
    assert PRINCIPAL["short_name"] == "ci_deployer"


def test_variable_precedence_cli_over_environment_over_target(tmp_path: Path) -> None:
    root = orders_bundle(tmp_path)
    from_env = _resolve(root, target="prod", environ={"BUNDLE_VAR_catalog": "env_cat"}, user=PRINCIPAL)
    assert from_env.config["variables"]["catalog"]["value"] == "env_cat"
    from_cli = _resolve(root, target="prod", variables=("catalog=cli_cat",), environ={"BUNDLE_VAR_catalog": "env_cat"}, user=PRINCIPAL)
    assert from_cli.config["variables"]["catalog"]["value"] == "cli_cat"
    assert from_cli.jobs["orders_job"]["tasks"][0]["spark_python_task"]["parameters"][1] == "cli_cat"
    with pytest.raises(CliError, match="failed to assign two to catalog: variable has already been assigned value: one"):
        _resolve(root, variables=("catalog=one", "catalog=two"))
    with pytest.raises(CliError, match="variable nope has not been defined"):
        _resolve(root, variables=("nope=1",))


def test_missing_required_variable_and_lookup_are_reported(tmp_path: Path) -> None:
    root = write_bundle(tmp_path, {"databricks.yml": """
        bundle:
          name: needs
        variables:
          warehouse:
            description: required
          cluster:
            lookup:
              cluster: shared-cluster
        resources:
          jobs:
            j:
              name: j-${var.warehouse}
    """})
    bundle = _resolve(root)
    errors = _errors(bundle)
    assert errors[0].startswith("no value assigned to required variable warehouse.")
    assert "BUNDLE_VAR_warehouse" in errors[0]
    assert "variable cluster uses 'lookup' (cluster: shared-cluster), which is not supported by the databricks CLI stand-in" in errors[1]
    assert bundle.jobs["j"]["name"] == "j-${var.warehouse}"


def test_unsupported_constructs_are_errors_naming_them(tmp_path: Path) -> None:
    root = write_bundle(tmp_path, {"databricks.yml": """
        bundle:
          name: wide
        artifacts:
          whl:
            type: whl
            dynamic_version: true
        resources:
          dashboards:
            p:
              display_name: p
          jobs:
            j:
              name: ${bundle.nope}
              tasks:
                - task_key: t
                  libraries:
                    - requirements: ./requirements.txt
                  python_wheel_task: {package_name: x, entry_point: main}
        targets:
          dev:
            presets:
              source_linked_deployment: true
    """})
    errors = _errors(_resolve(root, target="dev"))
    assert "artifact key 'dynamic_version' is not supported by the databricks CLI stand-in" in errors
    assert "resource type 'dashboards' is not supported by the databricks CLI stand-in (it deploys jobs, pipelines, schemas, volumes)" in errors
    assert "presets key 'source_linked_deployment' is not supported by the databricks CLI stand-in" in errors
    assert "reference does not exist: ${bundle.nope}" in errors
    assert any(error.startswith("a local requirements file ./requirements.txt is not supported by the databricks CLI stand-in") for error in errors)


def test_production_without_root_path_is_an_error_for_a_user_and_a_recommendation_for_a_principal(tmp_path: Path) -> None:
    root = write_bundle(tmp_path, {"databricks.yml": """
        bundle:
          name: p
        targets:
          prod:
            mode: production
    """})
    as_user = _resolve(root)
    assert _errors(as_user) == ["target with 'mode: production' must set 'workspace.root_path' to make sure only one copy is deployed"]
    as_principal = _resolve(root, user=PRINCIPAL)
    assert _errors(as_principal) == []
    assert [item.severity for item in as_principal.diagnostics.items] == ["recommendation"]
    assert as_principal.workspace["root_path"] == f"/Workspace/Users/{PRINCIPAL['userName']}/.bundle/p/prod"


def test_target_selection(tmp_path: Path) -> None:
    root = write_bundle(tmp_path, {"databricks.yml": """
        bundle:
          name: t
        targets:
          a: {}
          b: {}
    """})
    with pytest.raises(CliError, match="please specify target"):
        _resolve(root)
    with pytest.raises(CliError, match="c: no such target. Available targets: a, b"):
        _resolve(root, target="c")
    assert _resolve(root, target="b").target == "b"


def test_resource_id_reference_waits_for_deploy_and_task_paths_are_checked(tmp_path: Path) -> None:
    root = orders_bundle(tmp_path, {"resources/more.yml": """
        resources:
          jobs:
            runner:
              name: runner
              tasks:
                - task_key: trigger
                  run_job_task:
                    job_id: ${resources.jobs.orders_job.id}
                - task_key: missing
                  spark_python_task:
                    python_file: ../src/missing.py
                - task_key: plain
                  notebook_task:
                    notebook_path: ../src/main.py
    """})
    bundle = _resolve(root)
    tasks = {task["task_key"]: task for task in bundle.jobs["runner"]["tasks"]}
    assert list(tasks) == ["missing", "plain", "trigger"]  # sorted by task_key, as the real CLI's MergeJobTasks does
    assert tasks["trigger"]["run_job_task"]["job_id"] == "${resources.jobs.orders_job.id}"
    assert "file ../src/missing.py not found" in _errors(bundle)
    assert any(error.startswith("file at ") and error.endswith("src/main.py is not a notebook") for error in _errors(bundle))


def test_duplicate_resource_keys_across_includes(tmp_path: Path) -> None:
    root = orders_bundle(tmp_path, {"resources/again.yml": "resources:\n  jobs:\n    orders_job:\n      name: twice\n"})
    duplicate = next(item for item in _resolve(root).diagnostics.items if item.summary.startswith("multiple resources"))
    assert duplicate.summary == "multiple resources or scripts have been defined with the same key: orders_job"
    assert duplicate.path == "resources.jobs.orders_job"
    assert sorted(duplicate.location.splitlines()) == ["resources/again.yml:4:7", "resources/jobs.yml:4:7"]
