"""The example's test job through the local workspace: deployed by the CLI stand-in, run with the
SDK; the job's task process runs bundleops.testrunner on local Spark and its reports land in the
UC volume folder given as the job parameter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from bundleops.deploy import same_version, wheel
from tests.support.gotemplate import render_example

pytestmark = pytest.mark.spark


def test_test_job_runs_the_runner_and_reports_reach_the_volume(local_workspace, databricks_env, tmp_path):
    from databricks.sdk import WorkspaceClient

    project = render_example(
        tmp_path / "repo", ci_system="github", host_staging=local_workspace.host, sp_staging=local_workspace.client_id
    )
    env = {**os.environ, **databricks_env}
    wheel.build(project / same_version.WHEEL_FOLDER)  # what `bundleops deploy` does before `databricks bundle deploy`
    deploy = subprocess.run(
        [sys.executable, "-m", "bundleops.localcli", "bundle", "deploy", "-t", "staging", "--auto-approve"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300,
    )
    assert deploy.returncode == 0, deploy.stderr[-3000:]
    summary = subprocess.run(
        [sys.executable, "-m", "bundleops.localcli", "bundle", "summary", "-t", "staging", "-o", "json"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=True,
    )
    job_id = int(json.loads(summary.stdout)["resources"]["jobs"]["orders_pipeline_test_job"]["id"])
    client = WorkspaceClient(host=databricks_env["DATABRICKS_HOST"], client_id=databricks_env["DATABRICKS_CLIENT_ID"],
                             client_secret=databricks_env["DATABRICKS_CLIENT_SECRET"], auth_type="oauth-m2m")
    folder = "/Volumes/staging/orders_pipeline/test_reports/orders_pipeline_test_job/run-e2e"

    run = client.jobs.run_now(job_id, job_parameters={"report_folder": folder, "commit": "abc123"}).result()

    assert run.state.result_state.value == "SUCCESS", run.state
    junit = client.files.download(f"{folder}/junit.xml").contents.read()
    root = ET.fromstring(junit)
    cases = {c.get("name") for c in root.iter("testcase")}
    assert "test_revenue_per_day_and_country" in cases and not {name for name in cases if name.startswith("phase")}
    properties = {p.get("name"): p.get("value") for p in root.iter("property")}
    assert {name: properties[f"bundleops.phase: {name}"].split(" |", 1)[0] for name in ("phase 1: mock data", "phase 2: pytest", "phase 3: clean-up")} == dict.fromkeys(
        ("phase 1: mock data", "phase 2: pytest", "phase 3: clean-up"), "passed")
    assert properties["commit"] == "abc123"
    assert properties["schema"] == f"bundleops_test_{run.run_id}"
    coverage = ET.fromstring(client.files.download(f"{folder}/coverage.xml").contents.read())
    assert "src/orders_pipeline/revenue.py" in {c.get("filename") for c in coverage.iter("class")}
