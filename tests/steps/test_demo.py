"""`bundleops demo`, the README's first command: both pipelines green, reports where it says, and a log a
terminal can show. Two CIs end to end (a run takes about a minute): GitLab, the default, whose section
escape codes the demo used to print raw (run from the installed wheel, tests/wheel/test_installed.py,
with the checks below), and Azure Pipelines, which has no close event (the merged pull
request's deployment is left to the scheduled sweep) and writes `##[group]` / `##vso[...]` commands.
The other CIs' events are checked without a workspace in test_demo_events.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.steps.project import step_env

pytestmark = pytest.mark.spark


RAW_LOG_COMMAND = re.compile(r".*(?:\x1b|section_start|section_end|::group::|##\[|##vso\[|::add-mask::).*")


def demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The demo from a clean shell (no CI variables, no credentials), its output a pipe; green, and no CI log command left raw."""
    env = step_env({}, tmp_path)
    result = subprocess.run([sys.executable, "-m", "bundleops", "demo", "--output", str(tmp_path / "out"), *args], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    assert not RAW_LOG_COMMAND.findall(result.stdout), RAW_LOG_COMMAND.findall(result.stdout)[:5]
    return result


def assert_the_default_demo(stdout: str, out: Path) -> None:
    """What `bundleops demo` with no option shows and leaves (GitLab's events): run from the installed
    wheel by tests/wheel/test_installed.py, the way a stranger meets it, so the suite runs it once."""
    assert not RAW_LOG_COMMAND.findall(stdout), RAW_LOG_COMMAND.findall(stdout)[:5]
    assert "\n[!1] == bundleops deploy --target staging\n" in stdout  # GitLab's section, as a heading
    assert "green  merge request !1 feature/daily-revenue -> main -> staging (pr-1): unit:ok" in stdout
    assert "green  merge request !2 feature/refund-statuses -> main -> staging (pr-2): unit:ok" in stdout
    assert "green  merge request !1 feature/daily-revenue -> main merged (stop job) -> staging (pr-1): destroy:ok" in stdout
    assert "[!2] destroyed" not in stdout and "destroyed the pull-request deployment pr-1" in stdout
    assert "test:ok" in stdout and "green  push to main (the merge) -> prod:" in stdout
    second = json.loads((out / "pull-request-2/deployment-staging.json").read_text())
    assert (second["deployment"], second["pr_number"], second["branch"]) == ("pr-2", 2, "feature/refund-statuses")
    assert second["root_path"].endswith("/.bundle/orders_pipeline/staging-pull-requests/pr-2")
    staging = json.loads((out / "pull-request/deployment-staging.json").read_text())
    prod = json.loads((out / "merge/deployment-prod.json").read_text())
    assert (staging["target"], staging["event"], staging["pr_number"], staging["ci_system"], staging["deployment"]) == ("staging", "pull_request", 1, "gitlab", "pr-1")
    assert (prod["target"], prod["event"], prod["branch"], prod["bundle"]) == ("prod", "push", "main", "orders_pipeline")
    assert set(staging["jobs"]) == {"orders_pipeline_job", "orders_pipeline_test_job"}
    merged = (out / "pull-request/junit.xml").read_text()
    assert '<testsuite name="unit: ' in merged and '<testsuite name="integration: ' in merged
    assert "test_revenue_per_day_and_country" in merged
    assert 'filename="src/orders_pipeline/revenue.py"' in (out / "pull-request/coverage.xml").read_text()
    assert_day_two(stdout, out)


def assert_day_two(stdout: str, out: Path) -> None:
    """The bad change reached prod, the manual run rolled it back, and the history counts it as a failure restored."""
    bad = json.loads((out / "bad-change/deployment-prod.json").read_text())
    restored = json.loads((out / "rollback/deployment-prod.json").read_text())
    good = json.loads((out / "merge/deployment-prod.json").read_text())
    assert restored["commit"] == good["commit"] != bad["commit"]
    assert "green  push to main (a bad change: the daily job moved to 17:30) -> prod: " in stdout
    assert "schedule.quartz_cron_expression: 0 30 17 * * ? → 0 30 5 * * ?" in stdout, "the rollback's preview names what it changes"
    assert re.search(r"green  manual run on main: roll prod back to the previous deployment .* -> prod: rollback:ok.* rollback:ok.* history:ok.* history:ok", stdout)
    assert f"rolled back to {good['commit'][:12]}  {good['commit'][:12]}" in stdout
    assert f"git revert --no-edit -m 1 $(git rev-list --first-parent {good['commit'][:12]}..{bad['commit'][:12]})" in stdout
    assert "change failure rate: 50%\n    from 1 of 2 deploys of changes failed in production" in stdout
    assert "time to restore: " in stdout and "from 1 failures" in stdout


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
    assert_day_two(result.stdout, tmp_path / "out")  # the manual run is Azure's `Manual` build reason


def test_the_lakeflow_example_keeps_each_pull_requests_tables_apart_and_destroys_the_merged_one(tmp_path: Path) -> None:
    """Issue 22: the second example, a Lakeflow Declarative Pipeline with its schema and volume, through
    validate, preview, deploy, test (the pipeline's update, then output checks on its tables) and publish,
    for two pull requests at once on GitHub; the merged one's close event destroys its deployment."""
    result = demo(tmp_path, "--example", "orders_lakeflow", "--ci", "github")
    for number in (1, 2):
        assert re.search(rf"green  pull request #{number} .* -> staging \(pr-{number}\): unit:ok.* test:ok.* publish:ok", result.stdout), result.stdout[-3000:]
        junit = (tmp_path / "out" / ("pull-request" if number == 1 else "pull-request-2") / "junit.xml").read_text()
        # The checks read this pull request's own schema, which its pipeline's update filled.
        assert f"output schema pr_{number}_orders_lakeflow: tables customers_raw, daily_revenue, orders_raw, revenue_orders" in junit
        cases = {case.get("name"): case for case in ET.fromstring(junit).iter("testcase")}
        assert cases["daily_revenue.(order_date, country): unique"].find("failure") is None
        # Order 8 is `completed` with amount 0.00: only the pipeline's expect_or_drop keeps it out of revenue_orders.
        assert cases["revenue_orders.amount: accepted_range"].find("failure") is None
    left = dict(line.strip().split(": ", 1) for line in result.stdout.split("what each deployment left in the workspace")[1].split("\n######## demo summary")[0].strip().splitlines()[1:])
    assert " there" not in left["pr-1"] and left["pr-1"].count(" gone") == 5, left["pr-1"]
    assert "schemas.orders_lakeflow (staging.pr_2_orders_lakeflow) there, tables: customers_raw, daily_revenue, orders_raw, revenue_orders" in left["pr-2"]
    assert "pipelines.orders_lakeflow_pipeline" in left["pr-2"] and " gone" not in left["pr-2"], left["pr-2"]
    staging = json.loads((tmp_path / "out/pull-request-2/deployment-staging.json").read_text())
    assert staging["resources"]["schemas"]["orders_lakeflow"]["id"] == "staging.pr_2_orders_lakeflow"
