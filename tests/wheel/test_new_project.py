"""A new team's first hour from the installed wheel alone (the `local` extra, no clone on any path):
`bundleops init` makes a project for each CI system with the `databricks` stand-in as
`eval "$(bundleops local-env)"` configures it, and what it makes with the example's inputs is the
shipped example, whose pipelines test_installed.py's demo test runs from the same install.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from bundleops.init.command import CONSUMER_FILES
from tests.support import local_workspace
from tests.support.gotemplate import EXAMPLE_INPUTS
from tests.support.console import clean_environment, run_bundleops
from tests.wheel.installs import REPO, Install

pytestmark = pytest.mark.wheel


def _bundleops(install: Install, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return run_bundleops(list(args), env=env, cwd=cwd, timeout=timeout, bin_dir=install.bin)


@pytest.fixture(scope="module")
def standin_cli(with_local: Install, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """DATABRICKS_CLI_PATH of the install's `databricks` stand-in, from the PATH line `bundleops local-env` prints."""
    folder = tmp_path_factory.mktemp("lw")
    process, _ = local_workspace.start([str(with_local.bin / "bundleops")], folder, clean_environment(bin_dir=with_local.bin))
    exports = _bundleops(with_local, "local-env", cwd=folder)
    assert exports.returncode == 0, exports.stderr
    (path_line,) = [line for line in exports.stdout.splitlines() if line.startswith("export PATH=")]
    shim_dir = shlex.split(path_line.removeprefix("export PATH="))[0].split(":")[0]
    yield {"DATABRICKS_CLI_PATH": str(Path(shim_dir) / "databricks")}
    _, stderr = local_workspace.stop(process)
    assert process.returncode == 0, stderr


def test_the_install_answers_not_a_clone(with_local: Install, tmp_path: Path) -> None:
    located = subprocess.run([str(with_local.python), "-c", "import bundleops.shipped as s; print(s.BUNDLE_TEMPLATE); print(s.EXAMPLE_PROJECT)"],
                             cwd=tmp_path, env=clean_environment(bin_dir=with_local.bin), capture_output=True, text=True, timeout=60, check=True)
    template, example = map(Path, located.stdout.split())
    assert with_local.root in template.parents and not template.is_relative_to(REPO)
    assert (template / "databricks_template_schema.json").is_file() and (example / "databricks.yml").is_file()


@pytest.mark.parametrize("ci", sorted(CONSUMER_FILES))
def test_init_writes_the_ci_systems_consumer_file(with_local: Install, standin_cli: dict[str, str], tmp_path: Path, ci: str) -> None:
    result = _bundleops(with_local, "init", f"{ci}_pipeline", "--ci", ci, env=standin_cli, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    project = tmp_path / f"{ci}_pipeline"
    assert [name for name in CONSUMER_FILES.values() if (project / name).is_file()] == [CONSUMER_FILES[ci]]
    assert yaml.safe_load((project / "databricks.yml").read_text(encoding="utf-8"))["bundle"]["name"] == f"{ci}_pipeline"
    assert (project / "resources" / f"{ci}_pipeline_test_job.yml").is_file() and (project / "tests" / "unit" / "test_rules.py").is_file()
    assert f"CI file: {project / CONSUMER_FILES[ci]}" in result.stdout


def test_a_project_init_made_with_the_examples_inputs_is_the_example_the_demo_runs(with_local: Install, standin_cli: dict[str, str], tmp_path: Path) -> None:
    """What `init` makes is, file for file, the shipped example that test_installed.py's demo runs
    through every pipeline from this install: so a project init made runs the demo too, without
    this test running its four pipelines a second time."""
    flags = [arg for name, value in EXAMPLE_INPUTS.items() if name != "project_name" for arg in (f"--{name.replace('_', '-').replace('ci-system', 'ci')}", value)]
    made = _bundleops(with_local, "init", EXAMPLE_INPUTS["project_name"], *flags, env=standin_cli, cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    located = subprocess.run([str(with_local.python), "-c", "import bundleops.shipped as s; print(s.EXAMPLE_PROJECT)"],
                             cwd=tmp_path, env=clean_environment(bin_dir=with_local.bin), capture_output=True, text=True, timeout=60, check=True)
    assert _files(tmp_path / EXAMPLE_INPUTS["project_name"]) == _files(Path(located.stdout.strip()))


def _files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file() and "__pycache__" not in path.parts}
