"""A small bundle whose test job runs a scripted stand-in for the test runner, and how tests run steps.

The stand-in task (src/fake_tests.py) writes a JUnit report into the run's report folder (a
volume, mapped by the local workspace) and then behaves as told: pass, fail, break (no report,
exit 1) or hang. The real runner on Spark is covered by tests/testrunner and the demo.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bundleops.demo.pipeline import clean_environment
from tests.localcli.bundles import write_bundle

ROOT = """
bundle:
  name: shop
include:
  - resources/*.yml
targets:
  dev:
    default: true
    mode: development
  staging:
    mode: production
    workspace:
      root_path: /Workspace/Shared/.bundle/${bundle.name}/${bundle.target}
    run_as:
      service_principal_name: 11111111-2222-3333-4444-555555555555
    permissions:
      - level: CAN_VIEW
        group_name: data-team
"""

JOBS = """
resources:
  jobs:
    shop_test_job:
      name: shop_test_job
      parameters:
        - name: report_folder
          default: /Volumes/staging/shop/reports/shop_test_job
        - name: commit
          default: unknown
      tasks:
        - task_key: integration_tests
          spark_python_task:
            python_file: ../src/fake_tests.py
            parameters: ["{{job.parameters.report_folder}}", "{{job.parameters.commit}}", "BEHAVIOUR"]
"""

FAKE_TESTS = '''
import os, sys, time
from pathlib import Path
from bundleops.mounts import local_path

folder, commit, behaviour = sys.argv[1:4]
from bundleops.testrunner.cancel_marker import found_in  # as bundleops.testrunner starts: a cancelled run ends at once
if found_in(local_path(folder)) is not None:
    print("fake tests: cancelled before they started")
    sys.exit(3)
Path("pid.partial").write_text(str(os.getpid()))
os.replace("pid.partial", "pid")  # whole or absent: the test reads it as soon as it appears
if behaviour == "hang":
    time.sleep(300)
if behaviour != "break":
    failure = '<failure message="assert 1 == 2">trace</failure>' if behaviour == "fail" else ""
    report = local_path(folder)
    report.mkdir(parents=True, exist_ok=True)
    (report / "junit.xml").write_text(
        f'<testsuites><testsuite name="pytest" tests="2"><properties><property name="commit" value="{commit}"/></properties>'
        f'<testcase classname="tests.integration.test_shop" name="test_a"/>'
        f'<testcase classname="tests.integration.test_shop" name="test_b">{failure}</testcase></testsuite></testsuites>')
    (report / "coverage.xml").write_text('<coverage line-rate="1.0"><packages/></coverage>')
print(f"fake tests: {behaviour}")
sys.exit(0 if behaviour == "pass" else 1)
'''


def shop_project(folder: Path, behaviour: str = "pass", changes: dict[str, str] | None = None) -> Path:
    files = {"databricks.yml": ROOT, "resources/jobs.yml": JOBS.replace("BEHAVIOUR", behaviour), "src/fake_tests.py": FAKE_TESTS, **(changes or {})}
    return write_bundle(folder, files)


def step_env(workspace_env: dict[str, str], shim_dir: Path, **extra: str) -> dict[str, str]:
    """A developer's shell (no CI variables) pointed at the local workspace and the CLI stand-in."""
    return {**clean_environment(os.environ), **workspace_env, "DATABRICKS_CLI_PATH": str(shim_dir / "databricks"), **extra}


def bundleops(args: list[str], project: Path, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bundleops", *args, "--project-root", str(project)], cwd=project, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
