"""The preview on the five CI systems (issue 14): a pull request's changes are shown before the
deploy, and a destructive one holds the deploy back.

The pull request's own deployment first holds orders_pipeline with one more job (a backfill job).
The pull request then renames the pipeline's job, changes its task and deletes the backfill job.
On every CI system the run plans `preview` after validate, the preview lists those three changes
(its log lines, and the job summary the CI shows: the Markdown file Azure uploads with
`##vso[task.uploadsummary]` and GitLab, Jenkins and Bitbucket keep in the report folder), and,
without `deploy.auto_approve`, fails with exit 1 naming the deletion, so the deploy never starts.
act discards GitHub's step summary (it empties `$GITHUB_STEP_SUMMARY` for every step), so on
GitHub the log is the trace; tests/steps/test_preview.py reads the summary GitHub's writer makes.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conformance import deployments, harness

pytestmark = pytest.mark.vendor_runner

JOB_FILE = Path("resources") / "orders_pipeline_job.yml"
BACKFILL_FILE = Path("resources") / "orders_pipeline_backfill_job.yml"
BACKFILL = """resources:
  jobs:
    orders_pipeline_backfill_job:
      name: orders_pipeline_backfill_job
      tasks:
        - task_key: backfill
          environment_key: default
          spark_python_task:
            python_file: ../src/run_daily_revenue.py
            parameters: [--catalog, "${var.catalog}", --schema, "${var.schema}"]
      environments:
        - environment_key: default
          spec:
            environment_version: "2"
"""


def with_backfill_job(project: Path) -> None:
    (project / BACKFILL_FILE).write_text(BACKFILL, encoding="utf-8")


def rename_change_and_delete(project: Path) -> None:
    """The pull request: the job renamed, its task's schema parameter changed, the backfill job gone."""
    path = project / JOB_FILE
    text = path.read_text(encoding="utf-8")
    changed = text.replace("      name: orders_pipeline_job\n", "      name: orders_daily_revenue\n").replace("- ${var.schema}", "- revenue")
    assert changed.count("orders_daily_revenue") == 1 and "- revenue" in changed, "the job file changed shape: update the edit"
    path.write_text(changed, encoding="utf-8")


def preview_summary(run_folder: Path) -> str:
    """The job summary the preview wrote, wherever the CI's runner kept the job's report folder."""
    found = [text for path in run_folder.rglob("bundleops-summary.md") if "bundleops preview: `staging" in (text := path.read_text(encoding="utf-8"))]
    assert found, f"no job summary with the preview under {run_folder}"
    return found[0]


@pytest.mark.parametrize("vendor", harness.VENDORS)
def test_a_destructive_pull_request_is_shown_and_held_back(vendor: str, conformance_workspace: harness.Workspace, tmp_path: Path) -> None:
    deployments.deploy_pull_request(conformance_workspace, tmp_path / "base", harness.PR_NUMBER, edit=with_backfill_job)
    try:
        run = harness.run_vendor(vendor, "pull_request", conformance_workspace, tmp_path / "run", edit=rename_change_and_delete)
        assert run.returncode != 0, f"{vendor}: the run must fail when the plan deletes a job without the opt-in"
        # held back at the preview: no deploy, no test; publish still brings the unit reports (the red path)
        assert harness.comparable(run.steps) == [("unit", None), ("validate", "staging"), ("preview", "staging"), ("publish", None)], run.steps
        log = run.log
        own = f"[pr-{harness.PR_NUMBER}]"
        assert re.search(r"update jobs\.orders_pipeline_job\s*$", log, re.MULTILINE), log[-6000:]
        assert f"name: {own} orders_pipeline_job → {own} orders_daily_revenue" in log, "the rename, old → new"
        assert "spark_python_task.parameters[3]: orders_pipeline → revenue" in log, "the task's changed parameter"
        assert "delete jobs.orders_pipeline_backfill_job  (destructive: removed from the bundle configuration)" in log
        assert "destructive changes held back" in log and "auto_approve: true" in log, "the error names the opt-in"
        if vendor != "github":
            summary = preview_summary(tmp_path / "run")
            assert f"| `name` | `{own} orders_pipeline_job` | `{own} orders_daily_revenue` |" in summary, summary
            assert "spark_python_task.parameters[3]` | `orders_pipeline` | `revenue` |" in summary, summary
            assert f"#### `jobs.orders_pipeline_backfill_job` (`{own} orders_pipeline_backfill_job`): delete" in summary, summary
            assert "**The deploy is held back**" in summary, summary
        assert deployments.jobs_named(conformance_workspace, f"[pr-{harness.PR_NUMBER}] orders_pipeline_backfill_job"), "nothing was deleted"
    finally:  # the session's workspace is shared: later tests arrange pr-7 from scratch
        deployments.destroy_pull_request(conformance_workspace, tmp_path / "cleanup", harness.PR_NUMBER)
