"""Resources and mutators written in Python (`python:`), run by the stand-in through the bundle's own
virtual environment and databricks-bundles, as the real CLI runs them; deployed to the local workspace."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.localcli.bundles import write_bundle
from tests.localcli.cli import databricks

pytestmark = pytest.mark.integration

# The test suite's environment has databricks-bundles (scripts/setup --test), as `uv sync` gives a team's checkout.
SUITE_VENV = sys.prefix
DATABRICKS_YML = f"""
    bundle:
      name: python_code
    python:
      venv_path: {SUITE_VENV}
      resources:
        - "resources:load_resources"
      mutators:
        - "mutators:tag_with_the_name_seen"
    targets:
      dev:
        mode: development
        default: true
    resources:
      jobs:
        from_yaml:
          name: from yaml
          tasks:
            - task_key: main
              notebook_task:
                notebook_path: src/notebook.py
"""
RESOURCES = """
    from databricks.bundles.core import Resources, load_resources_from_current_package_module


    def load_resources() -> Resources:
        return load_resources_from_current_package_module()
"""
# A job in a file under resources/: its path is relative to the bundle root, as databricks-bundles documents.
PYTHON_JOB = """
    from databricks.bundles.jobs import Job, NotebookTask, Task

    nightly = Job(name="nightly", tasks=[Task(task_key="main", notebook_task=NotebookTask(notebook_path="src/notebook.py"))])
"""
MUTATORS = """
    from dataclasses import replace

    from databricks.bundles.core import job_mutator
    from databricks.bundles.jobs import Job


    @job_mutator
    def tag_with_the_name_seen(job: Job) -> Job:
        return replace(job, tags={**(job.tags or {}), "seen_by_mutator": job.name})
"""
NOTEBOOK = "# Databricks notebook source\nprint('hello')\n"


def _bundle(tmp_path: Path, **changes: str) -> Path:
    files = {"databricks.yml": DATABRICKS_YML, "resources/__init__.py": RESOURCES, "resources/nightly.py": PYTHON_JOB,
             "mutators.py": MUTATORS, "src/notebook.py": NOTEBOOK}
    return write_bundle(tmp_path, {**files, **changes})


def _as_developer(workspace) -> dict[str, str]:  # noqa: ANN001 - LocalWorkspace
    return {"DATABRICKS_HOST": workspace.host, "DATABRICKS_TOKEN": workspace.user_token}


def test_a_job_loaded_in_python_deploys_like_a_yaml_one_and_a_second_deploy_changes_nothing(tmp_path: Path, local_workspace) -> None:  # noqa: ANN001
    root = _bundle(tmp_path)
    env = _as_developer(local_workspace)
    validated = databricks(["bundle", "validate", "-o", "json"], root, env)
    assert validated.returncode == 0, validated.stderr
    jobs = json.loads(validated.stdout)["resources"]["jobs"]
    nightly, from_yaml = jobs["nightly"], jobs["from_yaml"]
    files = "/Workspace/Users/dev.user@example.com/.bundle/python_code/dev/files"
    assert nightly["tasks"][0]["notebook_task"]["notebook_path"] == f"{files}/src/notebook"
    # mode: development reaches the Python job as it reaches the YAML one, and mutators see the prefixed name
    assert nightly["name"] == "[dev dev_user] nightly" and from_yaml["name"] == "[dev dev_user] from yaml"
    assert nightly["tags"] == {"dev": "dev_user", "seen_by_mutator": "[dev dev_user] nightly"}
    assert from_yaml["tags"]["seen_by_mutator"] == "[dev dev_user] from yaml"

    deployed = databricks(["bundle", "deploy"], root, env)
    assert deployed.returncode == 0, deployed.stderr
    summary = json.loads(databricks(["bundle", "summary", "-o", "json"], root, env).stdout)
    assert {key: job["name"] for key, job in summary["resources"]["jobs"].items()} == {"nightly": "[dev dev_user] nightly", "from_yaml": "[dev dev_user] from yaml"}
    assert all(job.get("id") for job in summary["resources"]["jobs"].values())
    again = databricks(["bundle", "deploy"], root, env)
    assert again.returncode == 0 and "Resources: 0 created, 0 changed, 0 deleted, 2 unchanged" in again.stderr, again.stderr


def test_loading_may_not_change_a_yaml_resource(tmp_path: Path, local_workspace) -> None:  # noqa: ANN001
    sneaky = """
        from databricks.bundles.core import Bundle, Resources


        def load_resources(bundle: Bundle) -> Resources:
            resources = Resources()
            resources.add_job("from_yaml", {"name": "renamed from Python"})
            return resources
    """
    root = _bundle(tmp_path, **{"resources/__init__.py": sneaky})
    result = databricks(["bundle", "validate"], root, _as_developer(local_workspace))
    assert result.returncode == 1
    assert "Error: unexpected updated resources: [jobs.from_yaml]" in result.stderr, result.stderr


def test_an_error_in_the_teams_python_code_is_shown_where_it_happened_and_nothing_is_deployed(tmp_path: Path, local_workspace, client) -> None:  # noqa: ANN001
    broken = PYTHON_JOB + "\n    raise ValueError('the nightly schedule is not set')\n"
    root = _bundle(tmp_path, **{"resources/nightly.py": broken})
    result = databricks(["bundle", "deploy"], root, _as_developer(local_workspace))
    assert result.returncode == 1
    assert "ValueError: the nightly schedule is not set" in result.stderr
    assert "resources/nightly.py" in result.stderr and "Traceback" in result.stderr  # the team's own traceback, as the real CLI shows it
    assert "bundleops" not in result.stderr.split("Traceback")[1]  # none of it is the stand-in's
    assert "Deploying resources" not in result.stderr and list(client.jobs.list()) == []


def test_an_environment_without_databricks_bundles_is_explained(tmp_path: Path, local_workspace) -> None:  # noqa: ANN001
    bare = tmp_path / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    root = _bundle(tmp_path / "project", **{"databricks.yml": DATABRICKS_YML.replace(SUITE_VENV, str(bare))})
    result = databricks(["bundle", "validate"], root, _as_developer(local_workspace))
    assert result.returncode == 1
    assert 'Error: python mutator process failed: "exit status 1", use --debug to enable logging' in result.stderr
    assert "Explanation: 'databricks-bundles' library is not installed in the Python environment." in result.stderr
    assert "$ .venv/bin/pip install databricks-bundles" in result.stderr


def test_a_missing_virtual_environment_is_named(tmp_path: Path, local_workspace) -> None:  # noqa: ANN001
    root = _bundle(tmp_path, **{"databricks.yml": DATABRICKS_YML.replace(SUITE_VENV, ".venv")})
    result = databricks(["bundle", "validate"], root, _as_developer(local_workspace))
    assert result.returncode == 1
    assert f'Error: failed to get Python interpreter path: can\'t find "{root / ".venv/bin/python3"}", check if virtualenv is created' in result.stderr


def test_other_experimental_settings_are_refused_by_name(tmp_path: Path, local_workspace) -> None:  # noqa: ANN001
    root = _bundle(tmp_path, **{"databricks.yml": DATABRICKS_YML + "    experimental:\n      skip_name_prefix_for_schema: true\n"})
    result = databricks(["bundle", "validate"], root, _as_developer(local_workspace))
    assert result.returncode == 1
    assert "Error: 'experimental.skip_name_prefix_for_schema' is not supported by the databricks CLI stand-in" in result.stderr


# An environment whose `python3` answers the build's files wrongly, as a broken or foreign databricks-bundles would.
BROKEN_BUILD = """#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in --diagnostics) diagnostics="$2";; --output) output="$2";; esac
  shift
done
printf '%s' "$DIAGNOSTICS" > "$diagnostics"
[ -z "$OUTPUT" ] || printf '%s' "$OUTPUT" > "$output"
"""


@pytest.mark.parametrize(("diagnostics", "output", "error"), [
    ("this is not JSON", "", "Error: failed to load diagnostics: failed to parse diags: "),
    ("", "", "Error: failed to parse output file: "),
    ("", '{"resources": ["a list"]}', "Error: failed to parse output file: resources is not a map"),
], ids=["diagnostics not JSON", "no output file", "resources not a map"])
def test_a_build_that_answers_wrongly_is_an_error_not_a_crash(tmp_path: Path, local_workspace, diagnostics: str, output: str, error: str) -> None:  # noqa: ANN001
    fake = tmp_path / "fake-venv"
    (fake / "bin").mkdir(parents=True)
    (fake / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (fake / "bin" / "python3").write_text(BROKEN_BUILD)
    (fake / "bin" / "python3").chmod(0o755)
    root = _bundle(tmp_path / "project", **{"databricks.yml": DATABRICKS_YML.replace(SUITE_VENV, str(fake))})
    result = databricks(["bundle", "validate"], root, {**_as_developer(local_workspace), "DIAGNOSTICS": diagnostics, "OUTPUT": output})
    assert result.returncode == 1
    assert error in result.stderr and "Traceback" not in result.stderr, result.stderr
