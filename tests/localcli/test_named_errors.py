"""Configurations that once crashed the stand-in now behave as the real CLI does (its acceptance
tests in databricks/cli are the reference): a named `Error:` and exit 1, or the real CLI's default.

Each runs `python -m bundleops.localcli` as a process against the local workspace.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.localcli.bundles import write_bundle
from tests.localcli.cli import databricks

pytestmark = pytest.mark.integration

# acceptance/bundle/variables/cycle
CYCLE = """
bundle:
  name: cycle
variables:
  a:
    default: ${var.b}
  b:
    default: ${var.a}
"""
CYCLE_ERROR = "Error: cycle detected in field resolution: variables.a.default -> var.b -> var.a -> var.b"


def test_a_variable_cycle_is_the_real_clis_error_and_the_json_keeps_the_references(tmp_path: Path, databricks_env: dict[str, str]) -> None:
    project = write_bundle(tmp_path / "p", {"databricks.yml": CYCLE})
    validate = databricks(["bundle", "validate", "-o", "json"], project, databricks_env)
    assert validate.returncode == 1
    assert CYCLE_ERROR in validate.stderr
    assert json.loads(validate.stdout)["variables"] == {"a": {"default": "${var.b}", "value": "${var.b}"}, "b": {"default": "${var.a}", "value": "${var.a}"}}
    deploy = databricks(["bundle", "deploy"], project, databricks_env)
    assert deploy.returncode == 1
    assert CYCLE_ERROR in deploy.stderr
    assert "Traceback" not in validate.stderr + deploy.stderr


def test_a_self_referencing_complex_variable_stops_with_the_real_clis_warning_not_a_recursion_error(tmp_path: Path, databricks_env: dict[str, str]) -> None:
    bundle = "bundle:\n  name: c\nvariables:\n  a:\n    type: complex\n    default:\n      k: ${var.a}\n"
    result = databricks(["bundle", "validate", "-o", "json"], write_bundle(tmp_path / "p", {"databricks.yml": bundle}), databricks_env)
    assert result.returncode == 0  # the real CLI's rounds end with a warning (acceptance variables/complex-cycle-self)
    assert "Warning: Variables references are too deep, stopping resolution after 11 rounds." in result.stderr
    assert json.loads(result.stdout)["variables"]["a"]["value"] == {"k": "${var.a}"}  # left as written, not grown
    assert "Traceback" not in result.stderr and "RecursionError" not in result.stderr


UNNAMED = """
bundle:
  name: unnamed
resources:
  jobs:
    nightly:
      tasks:
        - task_key: main
          spark_python_task:
            python_file: /Workspace/Shared/nightly.py
"""


def test_a_job_without_name_is_untitled_in_validate_and_deploy(tmp_path: Path, databricks_env: dict[str, str], client: Any) -> None:
    project = write_bundle(tmp_path / "p", {"databricks.yml": UNNAMED})
    validate = databricks(["bundle", "validate", "-o", "json"], project, databricks_env)
    assert validate.returncode == 0, validate.stderr
    assert json.loads(validate.stdout)["resources"]["jobs"]["nightly"]["name"] == "Untitled"
    deploy = databricks(["bundle", "deploy"], project, databricks_env)
    assert deploy.returncode == 0, deploy.stderr
    assert "Created jobs.nightly" in deploy.stderr
    summary = json.loads(databricks(["bundle", "summary", "-o", "json"], project, databricks_env).stdout)
    assert client.jobs.get(int(summary["resources"]["jobs"]["nightly"]["id"])).settings.name == "Untitled"


def test_a_job_without_name_in_development_mode_keeps_only_the_prefix(tmp_path: Path, databricks_env: dict[str, str]) -> None:
    project = write_bundle(tmp_path / "p", {"databricks.yml": UNNAMED + "targets:\n  dev:\n    mode: development\n"})
    validate = databricks(["bundle", "validate", "-o", "json"], project, databricks_env)
    assert validate.returncode == 0, validate.stderr
    # apply_presets.go: prefix + "" -- the real CLI keeps the prefix's trailing space, and "Untitled" only fills a missing name
    assert json.loads(validate.stdout)["resources"]["jobs"]["nightly"]["name"] == "[dev bundleops_ci] "


# acceptance/bundle/includes/yml_outside_root: the real CLI loads an included file from outside the root.
OUTSIDE_JOB = """
resources:
  jobs:
    my_job:
      name: include_outside_root
      tasks:
        - task_key: task_key
          description: "task_description"
"""


def test_an_include_outside_the_bundle_root_is_loaded_as_by_the_real_cli(tmp_path: Path, databricks_env: dict[str, str]) -> None:
    write_bundle(tmp_path, {"root/databricks.yml": "bundle:\n  name: yml_outside_root\ninclude:\n  - ../include.yml\n", "include.yml": OUTSIDE_JOB})
    validate = databricks(["bundle", "validate", "-o", "json"], tmp_path / "root", databricks_env)
    assert validate.returncode == 0, validate.stderr
    assert json.loads(validate.stdout)["resources"]["jobs"]["my_job"]["name"] == "include_outside_root"
    deploy = databricks(["bundle", "deploy"], tmp_path / "root", databricks_env)
    assert deploy.returncode == 0, deploy.stderr
    assert "Created jobs.my_job" in deploy.stderr


def test_a_task_file_outside_the_bundle_root_is_the_real_clis_sync_root_error(tmp_path: Path, databricks_env: dict[str, str]) -> None:
    job = OUTSIDE_JOB.replace('description: "task_description"', "spark_python_task:\n            python_file: ./outside.py")
    write_bundle(tmp_path, {"root/databricks.yml": "bundle:\n  name: outside\ninclude:\n  - ../include.yml\n", "include.yml": job, "outside.py": "print(1)\n"})
    result = databricks(["bundle", "validate"], tmp_path / "root", databricks_env)
    assert result.returncode == 1
    assert f"Error: path {tmp_path.resolve() / 'outside.py'} is not contained in sync root path" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_include_inside_an_included_file_warns_as_the_real_cli(tmp_path: Path, databricks_env: dict[str, str]) -> None:
    project = write_bundle(tmp_path / "p", {"databricks.yml": "bundle:\n  name: x\ninclude:\n  - a.yml\n", "a.yml": "include:\n  - b.yml\n"})
    result = databricks(["bundle", "validate"], project, databricks_env)
    assert result.returncode == 0, result.stderr
    assert "Warning: Include section is defined outside root file\n  at include\n  in a.yml" in result.stderr
    assert "Only includes defined in databricks.yml are applied." in result.stderr
    assert "Found 1 warning" in result.stdout
