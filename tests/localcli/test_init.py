"""`databricks bundle init` of the stand-in: the bundle template (bundleops.shipped) rendered as the real CLI renders it
without a terminal, and everything it cannot do refused by name (exit 1, `Error: ...`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.localcli.cli import databricks
from tests.support.gotemplate import EXAMPLE_DIR, EXAMPLE_INPUTS, TEMPLATE_DIR

NO_WORKSPACE: dict[str, str] = {}  # init needs no workspace


def _files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_init_with_the_example_inputs_renders_the_example_project(tmp_path: Path) -> None:
    (tmp_path / "inputs.json").write_text(json.dumps({**EXAMPLE_INPUTS, "not_an_input": "ignored, as by the real CLI"}))
    result = databricks(["bundle", "init", str(TEMPLATE_DIR), "--config-file", "inputs.json", "--output-dir", "projects"], tmp_path, NO_WORKSPACE)
    assert result.returncode == 0, result.stderr
    assert _files(tmp_path / "projects" / "orders_pipeline") == _files(EXAMPLE_DIR)
    welcome, success = json.loads((TEMPLATE_DIR / "databricks_template_schema.json").read_text())["welcome_message"], "Your project is in the 'orders_pipeline' directory."
    assert welcome.strip() in result.stderr and success in result.stderr
    assert result.stdout == ""


def test_inputs_left_out_take_the_defaults_and_the_output_dir_defaults_to_the_current_folder(tmp_path: Path) -> None:
    required = {name: EXAMPLE_INPUTS[name] for name in ("host_dev", "host_staging", "host_prod", "sp_staging", "sp_prod")}
    (tmp_path / "inputs.json").write_text(json.dumps(required))
    result = databricks(["bundle", "init", str(TEMPLATE_DIR), "--config-file", "inputs.json"], tmp_path, NO_WORKSPACE)
    assert result.returncode == 0, result.stderr
    assert "name: my_pipeline" in (tmp_path / "my_pipeline" / "databricks.yml").read_text()
    assert (tmp_path / "my_pipeline" / ".github" / "workflows" / "bundleops.yml").is_file()  # ci_system defaults to github


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "Error: template input 'host_dev' is required (Workspace URL of the dev target)"),
        (["--tag", "v1.0.0"], "Error: --tag: Git templates are not supported by the databricks CLI stand-in"),
        (["-t", "dev"], "Error: unrecognized arguments: -t dev"),
    ],
)
def test_what_init_cannot_do_is_refused_by_name(tmp_path: Path, args: list[str], message: str) -> None:
    result = databricks(["bundle", "init", str(TEMPLATE_DIR), *args], tmp_path, NO_WORKSPACE)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("default-python", "Error: template 'default-python' is a built-in template of the real CLI, which the databricks CLI stand-in does not ship"),
        ("https://github.com/acme/bundleops", "Error: template 'https://github.com/acme/bundleops' is a Git URL; the databricks CLI stand-in does not clone repositories"),
        ("nowhere", "is not a bundle template: databricks_template_schema.json not found"),
    ],
)
def test_templates_other_than_a_local_folder_are_refused_by_name(tmp_path: Path, template: str, message: str) -> None:
    result = databricks(["bundle", "init", template], tmp_path, NO_WORKSPACE)
    assert result.returncode == 1
    assert message in result.stderr


def test_existing_files_are_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "inputs.json").write_text(json.dumps(EXAMPLE_INPUTS))
    (tmp_path / "orders_pipeline").mkdir()
    (tmp_path / "orders_pipeline" / "databricks.yml").write_text("mine\n")
    result = databricks(["bundle", "init", str(TEMPLATE_DIR), "--config-file", "inputs.json"], tmp_path, NO_WORKSPACE)
    assert result.returncode == 1
    assert "Error: failed to initialize template, one or more files already exist: orders_pipeline/" in result.stderr
    assert (tmp_path / "orders_pipeline" / "databricks.yml").read_text() == "mine\n"


def test_a_config_value_of_the_wrong_type_and_a_newer_template_are_the_real_clis_errors(tmp_path: Path) -> None:
    (tmp_path / "inputs.json").write_text(json.dumps({**EXAMPLE_INPUTS, "project_name": 7}))
    wrong_type = databricks(["bundle", "init", str(TEMPLATE_DIR), "--config-file", "inputs.json"], tmp_path, NO_WORKSPACE)
    assert wrong_type.returncode == 1
    assert "Error: failed to load config from file inputs.json: incorrect type for property project_name" in wrong_type.stderr
    newer = tmp_path / "newer"
    shutil.copytree(TEMPLATE_DIR, newer)
    schema = json.loads((newer / "databricks_template_schema.json").read_text())
    (newer / "databricks_template_schema.json").write_text(json.dumps({**schema, "min_databricks_cli_version": "v9.0.0"}))
    result = databricks(["bundle", "init", str(newer)], tmp_path, NO_WORKSPACE)
    assert result.returncode == 1
    assert 'Error: minimum CLI version "v9.0.0" is greater than current CLI version "v1.13.0". Please upgrade your current Databricks CLI' in result.stderr
