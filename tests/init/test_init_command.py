"""`bundleops init`: a new project from the shipped template, rendered by the configured `databricks`
CLI (here the stand-in), and the errors that stop it before anything is written (exit 2, cause + fix)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from bundleops.init.command import CONSUMER_FILES
from tests.support import standin
from tests.support.console import run_bundleops


def init(*args: str, cwd: Path, cli: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"DATABRICKS_CLI_PATH": cli or standin.databricks()}
    return run_bundleops(["init", *args], env=env, cwd=cwd)


def _files(folder: Path) -> list[str]:
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


def test_init_makes_the_project_in_dir_named_after_it_with_placeholders_listed(tmp_path: Path) -> None:
    result = init("sales_pipeline", "--ci", "gitlab", "--host-staging", "https://adb-1.7.azuredatabricks.net", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    project = tmp_path / "sales_pipeline"
    bundle = yaml.safe_load((project / "databricks.yml").read_text(encoding="utf-8"))
    assert bundle["bundle"]["name"] == "sales_pipeline"
    assert bundle["targets"]["staging"]["workspace"]["host"] == "https://adb-1.7.azuredatabricks.net"
    assert bundle["targets"]["prod"]["workspace"]["host"] == "https://prod-workspace.invalid"
    assert (project / "src" / "sales_pipeline" / "rules.py").is_file()
    assert [name for name in CONSUMER_FILES.values() if (project / name).exists()] == [".gitlab-ci.yml"]
    assert f"created {project}: bundle sales_pipeline for gitlab" in result.stdout
    assert "    host_prod = https://prod-workspace.invalid   (--host-prod)" in result.stdout
    assert "host_staging =" not in result.stdout  # given, so not a placeholder


def test_without_dir_the_project_is_named_by_the_option_or_the_template_default(tmp_path: Path) -> None:
    assert init("--project-name", "daily_sales", cwd=tmp_path).returncode == 0
    assert init(cwd=tmp_path).returncode == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["daily_sales", "my_pipeline"]
    assert (tmp_path / "my_pipeline" / CONSUMER_FILES["github"]).is_file()  # the template's default CI system


def test_a_fresh_clone_is_filled_and_its_files_kept(tmp_path: Path) -> None:
    clone = tmp_path / "orders"
    (clone / ".git").mkdir(parents=True)
    (clone / "LICENSE").write_text("mine\n")
    result = init(str(clone), "--ci", "jenkins", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (clone / "LICENSE").read_text() == "mine\n" and (clone / "Jenkinsfile").is_file() and (clone / ".git").is_dir()


@pytest.mark.parametrize(("existing", "expected", "fix"), [
    ("databricks.yml", "already holds a bundle project (databricks.yml exists)", "fix: give bundleops init a new folder"),
    ("README.md", "already has files the new project would overwrite: README.md", "fix: move those files away, or give bundleops init a new folder"),
], ids=["a-project", "a-file-it-writes"])
def test_a_dir_with_a_project_or_a_file_it_writes_is_refused_untouched(tmp_path: Path, existing: str, expected: str, fix: str) -> None:
    folder = tmp_path / "orders"
    folder.mkdir()
    (folder / existing).write_text("mine\n")
    result = init(str(folder), cwd=tmp_path)
    assert result.returncode == 2
    assert f"{folder} {expected}" in result.stderr and fix in result.stderr and "Traceback" not in result.stderr
    assert _files(folder) == [existing] and (folder / existing).read_text() == "mine\n"


@pytest.mark.parametrize(("args", "expected"), [
    (["my-pipeline"], "project_name 'my-pipeline' (the folder's name, as --project-name was not given) is not valid: Use lower-case letters"),
    (["orders", "--project-name", "Orders"], "project_name 'Orders' (--project-name) is not valid: Use lower-case letters"),
    (["orders", "--host-dev", "adb-1.azuredatabricks.net"], "host_dev 'adb-1.azuredatabricks.net' (--host-dev) is not valid: A workspace URL"),
], ids=["dir-name", "option", "host"])
def test_an_input_the_schema_refuses_is_named_with_its_pattern(tmp_path: Path, args: list[str], expected: str) -> None:
    result = init(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr and "fix: give --" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_no_databricks_cli_is_named_with_the_install_command(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-cli"
    result = init("orders", cwd=tmp_path, cli=str(missing))
    assert result.returncode == 2
    assert f"the Databricks CLI was not found (DATABRICKS_CLI_PATH={missing} is not an executable)" in result.stderr
    assert "install.sh" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_cli_that_fails_the_render_is_quoted(tmp_path: Path) -> None:
    old = tmp_path / "databricks"
    old.write_text("#!/bin/sh\n[ \"$1\" = --version ] && echo 'Databricks CLI v1.2.0' && exit 0\necho 'Error: minimum CLI version \"v1.13.0\" is greater than current CLI version \"v1.2.0\"' >&2\nexit 1\n")
    old.chmod(0o755)
    result = init("orders", cwd=tmp_path, cli=str(old))
    assert result.returncode == 2
    assert f"`databricks bundle init` of the bundleops template failed (exit 1, CLI {old} 1.2.0): minimum CLI version" in result.stderr
    assert "fix: the template needs the Databricks CLI >= v1.13.0" in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["databricks"]


def test_help_lists_every_template_input_and_an_example() -> None:
    result = run_bundleops(["init", "--help"])
    assert result.returncode == 0
    schema = json.loads(Path(__file__).resolve().parents[2].joinpath("steps/bundleops/shipped/bundle-template/databricks_template_schema.json").read_text())
    options = ["--ci" if name == "ci_system" else "--" + name.replace("_", "-") for name in schema["properties"]]
    assert all(option in result.stdout for option in options)
    assert "example:\n  bundleops init orders_pipeline --ci gitlab" in result.stdout
