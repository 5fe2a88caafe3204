"""`bundleops demo`, the README's first command: both pipelines green, reports where it says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.steps.project import step_env

pytestmark = pytest.mark.spark


def test_demo_runs_both_pipelines_and_leaves_the_reports(tmp_path: Path) -> None:
    env = step_env({}, tmp_path)  # a clean shell: no CI variables, no credentials
    result = subprocess.run([sys.executable, "-m", "bundleops", "demo", "--output", str(tmp_path / "out")], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
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
