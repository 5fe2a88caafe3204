"""`bundleops demo`, the README's first command: both pipelines green, reports where it says, and a log a
terminal can show. Two CIs end to end (a run takes about a minute): GitLab, the default, whose section
escape codes the demo used to print raw, and Azure Pipelines, which has no close event (the merged pull
request's deployment is left to the scheduled sweep) and writes `##[group]` / `##vso[...]` commands.
The other CIs' events are checked without a workspace in test_demo_events.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.steps.project import step_env

pytestmark = pytest.mark.spark


def demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The demo from a clean shell (no CI variables, no credentials), its output a pipe; green, and no CI log command left raw."""
    env = step_env({}, tmp_path)
    result = subprocess.run([sys.executable, "-m", "bundleops", "demo", "--output", str(tmp_path / "out"), *args], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    raw = re.findall(r".*(?:\x1b|section_start|section_end|::group::|##\[|##vso\[|::add-mask::).*", result.stdout)
    assert not raw, raw[:5]
    return result


def test_demo_runs_both_pipelines_and_leaves_the_reports(tmp_path: Path) -> None:
    result = demo(tmp_path)
    assert "\n[!1] == bundleops deploy --target staging\n" in result.stdout  # GitLab's section, as a heading
    assert "green  merge request !1 feature/daily-revenue -> main -> staging (pr-1): unit:ok" in result.stdout
    assert "green  merge request !2 feature/refund-statuses -> main -> staging (pr-2): unit:ok" in result.stdout
    assert "green  merge request !1 feature/daily-revenue -> main merged (stop job) -> staging (pr-1): destroy:ok" in result.stdout
    assert "[!2] destroyed" not in result.stdout and "destroyed the pull-request deployment pr-1" in result.stdout
    assert "test:ok" in result.stdout and "green  push to main (the merge) -> prod:" in result.stdout
    second = json.loads((tmp_path / "out/pull-request-2/deployment-staging.json").read_text())
    assert (second["deployment"], second["pr_number"], second["branch"]) == ("pr-2", 2, "feature/refund-statuses")
    assert second["root_path"].endswith("/.bundle/orders_pipeline/staging-pull-requests/pr-2")
    staging = json.loads((tmp_path / "out/pull-request/deployment-staging.json").read_text())
    prod = json.loads((tmp_path / "out/merge/deployment-prod.json").read_text())
    assert (staging["target"], staging["event"], staging["pr_number"], staging["ci_system"], staging["deployment"]) == ("staging", "pull_request", 1, "gitlab", "pr-1")
    assert (prod["target"], prod["event"], prod["branch"]) == ("prod", "push", "main")
    assert set(staging["jobs"]) == {"orders_pipeline_job", "orders_pipeline_test_job"}
    merged = (tmp_path / "out/pull-request/junit.xml").read_text()
    assert '<testsuite name="unit: ' in merged and '<testsuite name="integration: ' in merged
    assert "test_revenue_per_day_and_country" in merged
    assert 'filename="src/orders_pipeline/revenue.py"' in (tmp_path / "out/pull-request/coverage.xml").read_text()


def test_demo_as_azure_pipelines_speaks_of_pull_requests_and_sweeps_after_the_merge(tmp_path: Path) -> None:
    result = demo(tmp_path, "--ci", "azure")
    assert "green  pull request #1 feature/daily-revenue -> main -> staging (pr-1): unit:ok" in result.stdout
    assert "green  pull request #2 feature/refund-statuses -> main -> staging (pr-2): unit:ok" in result.stdout
    assert "Azure Pipelines runs no pipeline when a pull request closes" in result.stdout
    assert "green  scheduled sweep (the nightly pipeline extending azure/bundleops-sweep.yml) -> staging: sweep:ok" in result.stdout
    assert "keep   pr-1: PR #1" in result.stdout and "sweep removed 0 pull-request deployment(s)" in result.stdout
    assert "green  push to main (the merge) -> prod:" in result.stdout and "merge request" not in result.stdout
    assert "\n[#1] == bundleops deploy --target staging\n" in result.stdout  # Azure's ##[group], as a heading
    staging = json.loads((tmp_path / "out/pull-request/deployment-staging.json").read_text())
    assert (staging["ci_system"], staging["pr_number"], staging["deployment"]) == ("azure", 1, "pr-1")
    assert staging["run_url"] == "http://azure.local/demo/orders_pipeline/_build/results?buildId=1"
