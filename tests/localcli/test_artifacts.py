"""`artifacts` and `sync.paths` through the local workspace: a wheel is built, uploaded and named by
the job; files outside the bundle root are synced relative to the widened sync root."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.localcli.bundles import write_bundle
from tests.localcli.cli import databricks

pytestmark = pytest.mark.integration

ROOT = "/Workspace/Shared/.bundle/wheels/default"
WHEEL = "my_test_code-0.0.1-py3-none-any.whl"
SETUP = """from setuptools import setup

setup(name="my_test_code", version="0.0.1", packages=["my_test_code"],
      entry_points={"group_1": ["run=my_test_code.__main__:main"]})
"""


def _wheel_bundle(tmp_path: Path, build: str) -> Path:
    return write_bundle(tmp_path, {
        "databricks.yml": f"""
            bundle:
              name: wheels
            workspace:
              root_path: /Workspace/Shared/.bundle/${{bundle.name}}/${{bundle.target}}
            artifacts:
              my_test_code:
                type: whl
                path: ./my_test_code
                build: {build}
            include:
              - resources/*.yml
        """,
        "resources/job.yml": """
            resources:
              jobs:
                wheel_job:
                  name: wheel_job
                  environments:
                    - environment_key: env
                      spec:
                        environment_version: "2"
                        dependencies: [../my_test_code/dist/*.whl]
                  tasks:
                    - task_key: on_cluster
                      existing_cluster_id: "0717-132531-5opeqon1"
                      python_wheel_task: {package_name: my_test_code, entry_point: run}
                      libraries:
                        - whl: ../my_test_code/dist/*.whl
                    - task_key: serverless
                      environment_key: env
                      python_wheel_task: {package_name: my_test_code, entry_point: run}
        """,
        "my_test_code/setup.py": SETUP,
        "my_test_code/my_test_code/__init__.py": "",
        "my_test_code/my_test_code/__main__.py": "def main():\n    print('hello')\n",
    })


def test_a_wheel_artifact_is_built_uploaded_and_named_by_the_jobs_library_and_environment(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    project = _wheel_bundle(tmp_path, f"{sys.executable} setup.py bdist_wheel")

    validate = databricks(["bundle", "validate", "-o", "json"], project, databricks_env)
    assert validate.returncode == 0, validate.stderr
    shown = json.loads(validate.stdout)
    assert shown["artifacts"]["my_test_code"]["path"] == str(project / "my_test_code")
    assert shown["artifacts"]["my_test_code"]["files"] == [{"source": str(project / "my_test_code" / "dist" / "*.whl")}]
    assert shown["resources"]["jobs"]["wheel_job"]["tasks"][0]["libraries"] == [{"whl": "./my_test_code/dist/*.whl"}]
    assert not (project / "my_test_code" / "dist").exists()  # validate builds nothing

    deploy = databricks(["bundle", "deploy"], project, databricks_env)
    assert deploy.returncode == 0, deploy.stderr
    lines = deploy.stderr.splitlines()
    assert lines[:3] == ["Building my_test_code...", f"Uploading my_test_code/dist/{WHEEL}...", f"Uploading bundle files to {ROOT}/files..."]
    remote = f"{ROOT}/artifacts/.internal/{WHEEL}"
    assert client.workspace.download(remote).read() == (project / "my_test_code" / "dist" / WHEEL).read_bytes()
    summary = json.loads(databricks(["bundle", "summary", "-o", "json"], project, databricks_env).stdout)
    job = client.jobs.get(int(summary["resources"]["jobs"]["wheel_job"]["id"])).settings
    assert [library.whl for library in job.tasks[0].libraries] == [remote]
    assert job.environments[0].spec.dependencies == [remote]

    again = databricks(["bundle", "deploy"], project, databricks_env)
    assert again.returncode == 0, again.stderr
    assert "Resources: 0 created, 0 changed, 0 deleted, 1 unchanged" in again.stderr


def test_a_failing_build_is_the_real_clis_error_with_the_commands_output_and_deploys_nothing(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    project = _wheel_bundle(tmp_path, "echo no compiler here; exit 3")
    deploy = databricks(["bundle", "deploy"], project, databricks_env)
    assert deploy.returncode == 1
    assert deploy.stderr.startswith("Building my_test_code...\nError: build failed my_test_code, error: exit status 3, output: no compiler here\n")
    assert "Uploading" not in deploy.stderr
    assert not list(client.jobs.list(name="wheel_job"))


def test_sync_paths_widen_the_sync_root_and_task_paths_follow(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    write_bundle(tmp_path, {
        "shared/helpers.py": "VALUE = 1\n",
        "bundle/databricks.yml": """
            bundle:
              name: shared_code
            workspace:
              root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}
            sync:
              paths: [../shared, ./src]
              include: [src/generated/*.txt]
            resources:
              jobs:
                job:
                  name: job
                  tasks:
                    - task_key: main
                      spark_python_task: {python_file: ./src/main.py}
        """,
        ".gitignore": "generated/\n",
        "bundle/src/main.py": "print('main')\n",
        "bundle/src/generated/version.txt": "1\n",
        "bundle/notes.md": "not synced: outside sync.paths\n",
    })
    project = tmp_path / "bundle"
    files = "/Workspace/Shared/.bundle/shared_code/default/files"
    validate = databricks(["bundle", "validate", "-o", "json"], project, databricks_env)
    assert validate.returncode == 0, validate.stderr
    shown = json.loads(validate.stdout)
    assert shown["resources"]["jobs"]["job"]["tasks"][0]["spark_python_task"]["python_file"] == f"{files}/bundle/src/main.py"
    assert shown["sync"] == {"paths": ["shared", "bundle/src"], "include": ["bundle/src/generated/*.txt"]}

    deploy = databricks(["bundle", "deploy"], project, databricks_env)
    assert deploy.returncode == 0, deploy.stderr
    uploaded = sorted("/Workspace" + item.path for item in client.workspace.list(files, recursive=True) if item.object_type.value == "FILE")
    assert uploaded == [f"{files}/bundle/src/generated/version.txt", f"{files}/bundle/src/main.py", f"{files}/shared/helpers.py"]


def test_a_target_overrides_an_artifact_and_prebuilt_files_that_match_nothing_are_the_real_clis_error(tmp_path: Path, databricks_env: dict[str, str]) -> None:
    project = write_bundle(tmp_path, {
        "databricks.yml": """
            bundle:
              name: prebuilt
            artifacts:
              lib:
                type: whl
                files:
                  - source: dist/*.whl
            targets:
              dev:
                default: true
              custom:
                artifacts:
                  lib:
                    path: ./pkg
                    build: make wheel
        """,
    })
    missing = databricks(["bundle", "validate"], project, databricks_env)
    assert missing.returncode == 1
    assert "Error: dist/*.whl: no matching files\n  at artifacts.lib.files[0].source" in missing.stderr

    custom = databricks(["bundle", "validate", "-o", "json", "-t", "custom"], project, databricks_env)
    assert custom.returncode == 0, custom.stderr
    assert json.loads(custom.stdout)["artifacts"]["lib"] == {
        "type": "whl", "path": str(project / "pkg"), "build": "make wheel", "files": [{"source": str(project / "dist" / "*.whl")}],
    }
