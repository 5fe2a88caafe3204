"""A configuration the databricks CLI rejects is bad input (exit 2) for the step, with the CLI's own
message quoted and a fix; what the real CLI accepts (an unnamed job, an include from outside the
root) deploys. Each runs the installed `bundleops` console script on the stand-in and the local workspace.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.steps.project import ROOT, shop_project
from tests.support.console import run_bundleops

pytestmark = pytest.mark.integration

CYCLE = ROOT + "variables:\n  a:\n    default: ${var.b}\n  b:\n    default: ${var.a}\n"
CYCLE_MESSAGE = "rejected the bundle configuration: cycle detected in field resolution: variables.a.default -> var.b -> var.a -> var.b"
FIX = "fix: correct databricks.yml (or the file the CLI names) as the CLI says"


def _step(args: list[str], project: Path, env: dict[str, str]) -> tuple[int, str]:
    result = run_bundleops([*args, "--project-root", str(project)], env=env, cwd=project, timeout=300)
    out = result.stdout + result.stderr
    assert "Traceback" not in out
    return result.returncode, out


def test_a_variable_cycle_is_exit_2_from_validate_with_the_clis_message(tmp_path: Path, env: dict[str, str]) -> None:
    code, out = _step(["validate", "--target", "staging"], shop_project(tmp_path / "p", changes={"databricks.yml": CYCLE}), env)
    assert code == 2, out
    assert f"`databricks bundle validate -t staging` {CYCLE_MESSAGE}" in out
    assert FIX in out


def test_a_variable_cycle_is_exit_2_from_deploy_and_test_with_the_clis_message(tmp_path: Path, env: dict[str, str]) -> None:
    project = shop_project(tmp_path / "p", changes={"databricks.yml": CYCLE})
    for step in ("deploy", "test"):
        code, out = _step([step, "--target", "staging"], project, env)
        assert code == 2, out
        assert f"`databricks bundle summary -t staging` {CYCLE_MESSAGE}" in out
        assert FIX in out


def test_a_task_file_outside_the_bundle_root_is_exit_2_naming_the_path(tmp_path: Path, env: dict[str, str]) -> None:
    project = shop_project(tmp_path / "p", changes={"databricks.yml": ROOT.replace("  - resources/*.yml", "  - resources/*.yml\n  - ../shared.yml")})
    (tmp_path / "shared.yml").write_text("resources:\n  jobs:\n    shared:\n      name: shared\n      tasks:\n        - task_key: t\n          spark_python_task:\n            python_file: ./job.py\n")
    (tmp_path / "job.py").write_text("print('shared')\n")
    code, out = _step(["validate", "--target", "staging"], project, env)
    assert code == 2, out
    assert f"rejected the bundle configuration: path {(tmp_path / 'job.py').resolve()} is not contained in sync root path" in out


def test_a_job_without_name_deploys_as_untitled(tmp_path: Path, env: dict[str, str], client: Any) -> None:
    unnamed = "resources:\n  jobs:\n    nightly:\n      tasks:\n        - task_key: t\n          spark_python_task:\n            python_file: ../src/fake_tests.py\n"
    project = shop_project(tmp_path / "p", changes={"resources/nightly.yml": unnamed})
    code, out = _step(["deploy", "--target", "staging"], project, env)
    assert code == 0, out
    record = json.loads((project / "test-results" / "deployment-staging.json").read_text())
    assert client.jobs.get(int(record["jobs"]["nightly"]["id"])).settings.name == "Untitled"
