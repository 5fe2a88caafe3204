"""The test job in the workspace runs the bundleops version the CI job runs: the deploy ships the
running bundleops' wheel with the bundle, and the local workspace's environment check sees it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import bundleops
from bundleops.deploy import wheel
from tests.steps.project import JOBS, ROOT, bundleops as run_step, shop_project

pytestmark = pytest.mark.integration

STAGING_ROOT = "/Workspace/Shared/.bundle/shop/staging"
OURS = f"bundleops-{bundleops.__version__}-py3-none-any.whl"
VARIABLE = "variables:\n  bundleops_version:\n    description: the bundleops version of the test job\n    default: 0.0.1\n"
ENVIRONMENT = """      environments:
        - environment_key: bundleops
          spec:
            environment_version: "2"
            dependencies:
              - WHEEL
"""


def _project(folder: Path, dependency: str, behaviour: str = "pass") -> Path:
    jobs = JOBS.replace("BEHAVIOUR", behaviour).replace("        - task_key: integration_tests\n", "        - task_key: integration_tests\n          environment_key: bundleops\n")
    return shop_project(folder, behaviour, {"databricks.yml": ROOT.replace("include:", VARIABLE + "include:"),
                                            "resources/jobs.yml": jobs + ENVIRONMENT.replace("WHEEL", dependency)})


def _test_job(client: Any) -> Any:
    return next(iter(client.jobs.list(name="shop_test_job")))


def test_the_built_wheel_installs_the_running_code_with_its_task_entry_point(tmp_path: Path) -> None:
    built = wheel.build(tmp_path / "wheels")
    assert built.name == OURS
    assert wheel.build(tmp_path / "again").read_bytes() == built.read_bytes()  # the same code gives the same bytes
    target = tmp_path / "site"
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--target", str(target), str(built)],
                         capture_output=True, text=True, check=False)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import bundleops, importlib.metadata as m; "
             "print(bundleops.__file__); print(m.version('bundleops')); print([e.value for e in m.entry_points(group='bundleops.tasks')])")
    shown = subprocess.run([sys.executable, "-I", "-c", probe, str(target)], capture_output=True, text=True, check=True).stdout.splitlines()
    assert shown == [str(target / "bundleops" / "__init__.py"), bundleops.__version__, "['bundleops.testrunner.__main__:entry_point']"]
    assert (target / "bundleops" / "localworkspace" / "tasks.py").read_bytes() == (Path(bundleops.__file__).parent / "localworkspace" / "tasks.py").read_bytes()


def test_deploy_ships_the_running_version_and_the_test_run_sees_it(tmp_path: Path, env: dict[str, str], client: Any) -> None:
    project = _project(tmp_path / "p", "../.bundleops/wheels/bundleops-${var.bundleops_version}-py3-none-any.whl")
    deploy = run_step(["deploy", "--target", "staging"], project, env)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert f"shipping the running bundleops with the bundle: .bundleops/wheels/{OURS}" in deploy.stdout
    assert f"Uploading .bundleops/wheels/{OURS}..." in deploy.stdout + deploy.stderr

    remote = f"{STAGING_ROOT}/artifacts/.internal/{OURS}"
    settings = client.jobs.get(_test_job(client).job_id).settings
    assert settings.environments[0].spec.dependencies == [remote]
    assert client.workspace.download(remote).read() == (project / ".bundleops" / "wheels" / OURS).read_bytes()

    test = run_step(["test", "--target", "staging"], project, env)
    assert test.returncode == 0, test.stdout + test.stderr
    run = next(iter(client.jobs.list_runs(job_id=_test_job(client).job_id)))
    task = client.jobs.get_run(run.run_id).tasks[0]
    logs = client.jobs.get_run_output(task.run_id).logs
    assert f"environment bundleops: {remote} is bundleops {bundleops.__version__}, the version the local workspace's Python has" in logs


def test_a_wheel_of_another_version_fails_the_test_run_naming_both_versions(tmp_path: Path, env: dict[str, str]) -> None:
    project = _project(tmp_path / "p", "../wheels/bundleops-9.9.9-py3-none-any.whl")
    wheel.build(project / "wheels", version="9.9.9")
    deploy = run_step(["deploy", "--target", "staging"], project, env)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    assert not (project / ".bundleops" / "wheels").exists()  # the bundle names no shipped wheel: none is built

    test = run_step(["test", "--target", "staging"], project, env)
    assert test.returncode == 3, test.stdout + test.stderr  # the tests never ran: a run without reports
    remote = f"{STAGING_ROOT}/artifacts/.internal/bundleops-9.9.9-py3-none-any.whl"
    assert f"the wheel {remote} is bundleops 9.9.9, the local workspace's Python has bundleops {bundleops.__version__}" in test.stderr
