"""The built wheel, installed as users install it, runs every command from its console script.

On a base install (no extras, no dev tools; Python 3.10 and 3.12): context and plan, the local
workspace running real jobs through databricks-sdk, validate/deploy/test of a bundle through the
`databricks` stand-in, and the commands that need an extra naming it (exit 2). With the `local`
extra, the demo. This repository's own virtualenv has every dependency, so only these
installs show what a user's `pip install bundleops` lacks.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from bundleops import __version__
from bundleops.demo.ci_events import GITLAB
from bundleops.demo.pipeline import pull_request
from tests.publish.sample_project import write_project
from tests.steps.project import shop_project
from tests.steps.test_demo import assert_the_default_demo
from tests.support import local_workspace
from tests.support.console import clean_environment, run_bundleops
from tests.wheel.installs import REPO, Install

pytestmark = pytest.mark.wheel

EXAMPLE = REPO / "steps/bundleops/shipped/examples/orders_pipeline"
# A GitLab merge request into main: the plan deploys to staging.
MERGE_REQUEST = pull_request(GITLAB, "0123456789abcdef0123456789abcdef01234567", run=1).variables
JOB_SCRIPT = "import sys, yaml\nprint('ran in', sys.prefix, 'with yaml', yaml.__version__, sys.argv[1:])\n"


def _bundleops(install: Install, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return run_bundleops(list(args), env=env, cwd=cwd, timeout=timeout, bin_dir=install.bin)


@pytest.fixture(scope="module")
def workspace(base: Install, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`bundleops local-workspace` of the base install, in the background; its host and credentials."""
    process, info = local_workspace.start([str(base.bin / "bundleops")], tmp_path_factory.mktemp("lw"), clean_environment(bin_dir=base.bin))
    yield info
    _, stderr = local_workspace.stop(process)
    assert process.returncode == 0, stderr


def test_the_install_has_no_extras_and_no_dev_tools(base: Install) -> None:
    listed = subprocess.run([str(base.python), "-c", "import importlib.metadata as m; print(' '.join(d.metadata['Name'].lower() for d in m.distributions()))"],
                            capture_output=True, text=True, check=True, timeout=120)
    names = set(listed.stdout.split())
    assert {"bundleops", "databricks-sdk", "packaging"} <= names
    assert not names & {"pytest", "pyspark", "pysonar", "pip", "setuptools"}
    assert _bundleops(base, "--version").stdout.strip() == f"bundleops {__version__}"


def test_context_and_plan(base: Install) -> None:
    context = _bundleops(base, "context", "--format", "json", env=MERGE_REQUEST)
    assert context.returncode == 0, context.stderr
    seen = json.loads(context.stdout)
    assert (seen["vendor"], seen["event"], seen["branch"], seen["pr_number"]) == ("gitlab", "pull_request", "feature/daily-revenue", 1)
    plan = _bundleops(base, "plan", "--format", "json", env=MERGE_REQUEST)
    assert plan.returncode == 0, plan.stderr
    planned = json.loads(plan.stdout)
    assert (planned["target"], planned["steps"]) == ("staging", ["unit", "validate", "preview", "deploy", "test", "publish"])


def test_the_local_workspace_runs_jobs_through_the_sdk(base: Install, workspace: dict[str, str]) -> None:
    client = local_workspace.client(workspace)
    local_workspace.upload(client, "/Workspace/Shared/wheel/job.py", JOB_SCRIPT)
    task = {"spark_python_task": {"python_file": "/Workspace/Shared/wheel/job.py", "parameters": ["{{job.run_id}}"]}}
    plain = local_workspace.create_job(client, [{"task_key": "plain", **task}], name="wheel-plain")
    # a serverless environment: the local workspace checks its dependencies against its own Python (packaging)
    environment = local_workspace.create_job(
        client, [{"task_key": "in_env", "environment_key": "default", **task}], name="wheel-environment",
        environments=[{"environment_key": "default", "spec": {"environment_version": "2", "dependencies": ["pyyaml>=6", "databricks-sdk>=0.150"]}}])
    for job_id in (plain, environment):
        run = client.jobs.run_now(job_id).result()
        assert run.state.result_state.value == "SUCCESS", run.state.state_message
        # the environment check's lines come first (one per dependency), then the script's own line
        last = client.jobs.get_run_output(run.tasks[0].run_id).logs.strip().splitlines()[-1]
        assert last.startswith(f"ran in {base.root} with yaml ") and last.endswith(f"['{run.run_id}']")


def test_validate_deploy_and_test_a_bundle_on_staging(base: Install, workspace: dict[str, str], tmp_path: Path) -> None:
    project = shop_project(tmp_path / "shop", "pass")
    shim = subprocess.run([str(base.python), "-c", "import sys; from pathlib import Path; from bundleops.localcli.shim import write_shim; print(write_shim(Path(sys.argv[1]), served=False))", str(tmp_path / "bin")],
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    env = {**{key: workspace[field] for key, field in (("DATABRICKS_HOST", "host"), ("DATABRICKS_CLIENT_ID", "client_id"), ("DATABRICKS_CLIENT_SECRET", "client_secret"))},
           "DATABRICKS_AUTH_TYPE": "oauth-m2m", "DATABRICKS_CLI_PATH": shim}
    outputs = {}
    for step in ("validate", "deploy", "test"):
        result = _bundleops(base, step, "--target", "staging", "--project-root", str(project), env=env, cwd=project)
        assert result.returncode == 0, f"{step}: {result.stdout}{result.stderr}"
        outputs[step] = result.stdout
    assert "bundle shop is valid for staging" in outputs["validate"]
    assert json.loads((project / "test-results" / "deployment-staging.json").read_text())["deployed_by"] == workspace["client_id"]
    assert "integration tests passed (2 total, 2 passed, 0 failed, 0 errors, 0 skipped)" in outputs["test"]
    assert (project / ".bundleops/reports/integration/junit.xml").is_file()


def test_unit_without_pytest_says_so(base: Install, tmp_path: Path) -> None:
    project = write_project(tmp_path / "repo")
    result = _bundleops(base, "unit", "--project-root", str(project), cwd=project)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"no Python here can run the unit tests (they need pytest and coverage): {base.python} (the Python running bundleops) has no pytest" in output
    assert "pip install 'bundleops[local]'" in output
    assert "Traceback" not in output and "unit tests failed" not in output


@pytest.mark.parametrize(("name", "arguments"), [("demo", ["--project", str(EXAMPLE)]), ("test --local", ["--project-root", str(EXAMPLE)])])
def test_commands_that_need_the_local_extra_name_it(base: Install, name: str, arguments: list[str], tmp_path: Path) -> None:
    result = _bundleops(base, *name.split(), *arguments, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert f"bundleops {name} needs pyspark, pytest (the bundleops[local] extra), which {base.python} does not have" in output
    assert "fix: install the extra into that environment: pip install 'bundleops[local]'" in output
    assert "Traceback" not in output


def test_publish_sonar_names_the_sonar_extra(base: Install, tmp_path: Path) -> None:
    project = write_project(tmp_path / "repo")
    unit_reports = project / ".bundleops/reports/unit"
    unit_reports.mkdir(parents=True)
    (unit_reports / "junit.xml").write_text('<testsuites><testsuite name="pytest" tests="1"><testcase classname="tests.unit.test_ops" name="test_add"/></testsuite></testsuites>')
    # the server is never contacted: the scanner is looked for first
    result = _bundleops(base, "publish", "--sonar", "--project-root", str(project), env={"SONAR_HOST_URL": "http://127.0.0.1:9", "SONAR_TOKEN": "not-a-token"}, cwd=project)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert (project / "test-results" / "junit.xml").is_file()  # the reports were published before
    assert f"bundleops publish --sonar needs pysonar (the bundleops[sonar] extra), which {base.python} does not have" in output
    assert "fix: install the extra into that environment: pip install 'bundleops[sonar]'" in output and "Traceback" not in output


def test_the_demo_runs_the_shipped_example_with_the_local_extra(with_local: Install, tmp_path: Path) -> None:
    result = _bundleops(with_local, "demo", "--output", str(tmp_path / "out"), cwd=tmp_path, timeout=1200)  # no --project: the example in the wheel
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    # Two merge requests, the first one's stop job, the merge, day two's bad change and its rollback.
    assert result.stdout.count("  green  ") == 6, result.stdout
    assert "  RED  " not in result.stdout
    assert_the_default_demo(result.stdout, tmp_path / "out")
