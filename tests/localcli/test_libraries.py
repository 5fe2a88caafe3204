"""Local files named as environment dependencies: shown root-relative by validate, uploaded by deploy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.localcli.bundles import orders_bundle
from tests.localcli.cli import databricks

pytestmark = pytest.mark.integration

PROD_ROOT = "/Workspace/Shared/.bundle/orders/prod"
WHEEL = "tool-${var.tool_version}-py3-none-any.whl"


def _with_environment(tmp_path: Path, dependency: str) -> Path:
    project = orders_bundle(tmp_path)
    root = project / "databricks.yml"
    root.write_text(root.read_text().replace("variables:\n", "variables:\n  tool_version:\n    default: 1.2.3\n", 1))
    jobs = project / "resources" / "jobs.yml"
    environment = f"""      environments:
        - environment_key: tools
          spec:
            environment_version: "2"
            dependencies: ["pytest==9.2.0", "{dependency}", "/Volumes/main/tools/wheels/other-1.0-py3-none-any.whl"]
"""
    jobs.write_text(jobs.read_text().replace("      schedule:\n", environment + "      schedule:\n"))
    return project


def test_a_local_wheel_is_shown_root_relative_then_uploaded_and_named_by_its_workspace_path(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    project = _with_environment(tmp_path, f"../wheels/{WHEEL}")
    (project / "wheels").mkdir()
    (project / "wheels" / "tool-2.0.0-py3-none-any.whl").write_bytes(b"wheel 2.0.0")

    validate = databricks(["bundle", "validate", "-o", "json", "-t", "prod", "--var", "tool_version=2.0.0"], project, databricks_env)
    assert validate.returncode == 0, validate.stderr
    shown = json.loads(validate.stdout)["resources"]["jobs"]["orders_test_job"]["environments"][0]["spec"]["dependencies"]
    assert shown == ["pytest==9.2.0", "./wheels/tool-2.0.0-py3-none-any.whl", "/Volumes/main/tools/wheels/other-1.0-py3-none-any.whl"]

    deploy = databricks(["bundle", "deploy", "-t", "prod", "--var", "tool_version=2.0.0"], project, databricks_env)
    assert deploy.returncode == 0, deploy.stderr
    assert deploy.stderr.index("Uploading wheels/tool-2.0.0-py3-none-any.whl...") < deploy.stderr.index("Uploading bundle files to")
    remote = f"{PROD_ROOT}/artifacts/.internal/tool-2.0.0-py3-none-any.whl"
    assert client.workspace.download(remote).read() == b"wheel 2.0.0"
    summary = json.loads(databricks(["bundle", "summary", "-o", "json", "-t", "prod"], project, databricks_env).stdout)
    job = client.jobs.get(int(summary["resources"]["jobs"]["orders_test_job"]["id"])).settings
    assert job.environments[0].spec.dependencies == ["pytest==9.2.0", remote, "/Volumes/main/tools/wheels/other-1.0-py3-none-any.whl"]


def test_a_missing_local_wheel_fails_the_deploy_before_anything_changes(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    project = _with_environment(tmp_path, f"../wheels/{WHEEL}")
    deploy = databricks(["bundle", "deploy", "-t", "prod"], project, databricks_env)
    assert deploy.returncode == 1
    assert "Error: file doesn't exist ./wheels/tool-1.2.3-py3-none-any.whl" in deploy.stderr
    assert "Uploading" not in deploy.stderr
    assert not [job for job in client.jobs.list(name="orders_test_job")]

    glob = _with_environment(tmp_path / "glob", "../wheels/*.whl")
    assert "Error: no files match pattern: ./wheels/*.whl" in databricks(["bundle", "deploy", "-t", "prod"], glob, databricks_env).stderr


def test_local_paths_in_pip_flags_are_refused_by_name(tmp_path: Path, databricks_env: dict[str, str]) -> None:
    project = _with_environment(tmp_path, "-r ../requirements.txt")
    validate = databricks(["bundle", "validate", "-t", "prod"], project, databricks_env)
    assert validate.returncode == 1
    assert "a local path in the pip flag '-r ../requirements.txt' is not supported by the databricks CLI stand-in" in validate.stderr
