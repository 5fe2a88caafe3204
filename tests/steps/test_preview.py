"""`bundleops preview` and `bundleops deploy --plan-file` through the CLI stand-in and the local workspace.

A pull request renames a job, changes a task and deletes a job: on each of the five CI systems
the summary shows the three, the step exits 1 (a deletion without the opt-in), and the deploy is
held back with nothing changed. Prod applies the reviewed plan, and stops with the named error
when another deploy landed between the approval and the apply.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.context import snapshots
from tests.deployments.project import PR_ROOT
from tests.steps.project import ROOT, bundleops, shop_project
from tests.support.pr_comments_standin import PullRequestComments

pytestmark = pytest.mark.integration

# prod as the bundle's staging target is: production mode, a shared root, a service principal.
PROD_TARGET = ROOT[ROOT.index("  staging:"):].replace("  staging:", "  prod:", 1)


def orders_jobs(ingest_name: str = "orders ingest", export_parameter: str = "full", legacy: bool = True) -> str:
    legacy_job = """
    legacy_export:
      name: orders legacy export
      tasks:
        - task_key: publish
          spark_python_task:
            python_file: ../src/fake_tests.py
""" if legacy else ""
    return f"""
resources:
  jobs:
    ingest:
      name: {ingest_name}
      tasks:
        - task_key: load
          spark_python_task:
            python_file: ../src/fake_tests.py
    export:
      name: orders export
      tasks:
        - task_key: publish
          spark_python_task:
            python_file: ../src/fake_tests.py
            parameters: ["{export_parameter}"]
{legacy_job}"""


def orders_project(folder: Path) -> Path:
    """The shop bundle with a prod target; its staging takes pull requests' own deployments."""
    return shop_project(folder, changes={"databricks.yml": PR_ROOT + PROD_TARGET, "resources/orders.yml": orders_jobs()})


def pull_request_change(project: Path) -> None:
    """Rename `ingest`, change `export`'s task, delete `legacy_export`."""
    (project / "resources" / "orders.yml").write_text(orders_jobs("orders ingest v2", "incremental", legacy=False), encoding="utf-8")


def job_names(client: Any) -> set[str]:
    return {job.settings.name for job in client.jobs.list()}


@pytest.fixture
def comments() -> Iterator[PullRequestComments]:
    standin = PullRequestComments().start()
    yield standin
    standin.stop()


def ci_env(env: dict[str, str], vendor: str, scenario: str, tmp: Path, comments: PullRequestComments) -> dict[str, str]:
    extra = {
        "github": {"GITHUB_STEP_SUMMARY": str(tmp / "step-summary.md"), "GITHUB_API_URL": comments.url, "GITHUB_TOKEN": comments.token},
        "gitlab": {"CI_API_V4_URL": f"{comments.url}/api/v4", "CI_PROJECT_ID": "77", "BUNDLEOPS_GITLAB_TOKEN": comments.token},
        "azure": {"SYSTEM_COLLECTIONURI": f"{comments.url}/acme/", "BUILD_REPOSITORY_ID": "repo-1", "SYSTEM_ACCESSTOKEN": comments.token},
        "bitbucket": {"BUNDLEOPS_BITBUCKET_REPORTS_PROXY": comments.url},  # the Pipelines proxy for Code Insights reports
    }.get(vendor, {})
    return {**env, **snapshots.environment(vendor, scenario, tmp), **extra}


def summary_of(vendor: str, project: Path, tmp: Path, stdout: str) -> str:
    if vendor == "github":
        return (tmp / "step-summary.md").read_text(encoding="utf-8")
    path = project / "test-results" / "bundleops-summary.md"
    if vendor == "azure":
        assert f"##vso[task.uploadsummary]{path.resolve()}" in stdout
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("vendor", snapshots.VENDORS)
def test_a_pull_request_shows_rename_task_change_and_deletion_and_is_held_back(
    vendor: str, tmp_path: Path, env: dict[str, str], client: Any, comments: PullRequestComments
) -> None:
    project = orders_project(tmp_path / "p")
    pr_env = ci_env(env, vendor, "pull_request", tmp_path, comments)
    first = bundleops(["deploy", "--target", "staging"], project, pr_env)  # the pull request's first push
    assert first.returncode == 0, first.stdout + first.stderr
    pull_request_change(project)
    own = f"[pr-{snapshots.PR}] "  # the pull request's own deployment prefixes its jobs' names

    preview = bundleops(["preview", "--target", "staging"], project, pr_env)
    assert preview.returncode == 1, preview.stdout + preview.stderr
    assert "destructive changes held back: the deploy to staging would delete jobs.legacy_export (removed from the bundle configuration)" in preview.stdout + preview.stderr
    summary = summary_of(vendor, project, tmp_path, preview.stdout)
    assert "**Plan: 0 to add, 2 to change, 2 to delete, 4 unchanged**" in summary  # each job's permissions are a resource too
    assert f"| `name` | `{own}orders ingest` | `{own}orders ingest v2` |" in summary
    assert "| `tasks[task_key='publish'].spark_python_task.parameters[0]` | `full` | `incremental` |" in summary
    assert f"#### `jobs.legacy_export` (`{own}orders legacy export`): delete" in summary
    plan = json.loads((project / "test-results" / "bundle-plan.json").read_text(encoding="utf-8"))
    assert {key: entry["action"] for key, entry in plan["plan"].items() if not key.endswith(".permissions")} == {
        "resources.jobs.ingest": "update", "resources.jobs.export": "update", "resources.jobs.legacy_export": "delete", "resources.jobs.shop_test_job": "skip"}
    assert "Deletes or recreates `jobs.legacy_export` (delete). **The deploy is held back**" in summary  # its permissions go with it
    if vendor in ("github", "gitlab", "azure"):
        [posted] = comments.texts(vendor, snapshots.PR)
        assert posted.startswith("<!-- bundleops-preview p/staging -->") and "orders ingest v2" in posted and "`jobs.legacy_export`" in posted
        assert comments.token not in preview.stdout + preview.stderr
    else:
        assert "no pull-request comment" in preview.stdout
    if vendor == "bitbucket":
        [report] = comments.reports.values()
        assert report["result"] == "FAILED" and report["details"].startswith("Plan: 0 to add, 2 to change, 2 to delete, 4 unchanged. Deletes or recreates: delete jobs.legacy_export")

    held = bundleops(["deploy", "--target", "staging"], project, pr_env)
    assert held.returncode == 1, held.stdout + held.stderr
    assert "destructive changes held back: the deploy to staging would delete jobs.legacy_export" in held.stdout + held.stderr
    assert job_names(client) == {own + name for name in ("shop_test_job", "orders ingest", "orders export", "orders legacy export")}


def test_a_second_preview_edits_the_same_comment(tmp_path: Path, env: dict[str, str], comments: PullRequestComments) -> None:
    project = orders_project(tmp_path / "p")
    pr_env = ci_env(env, "github", "pull_request", tmp_path, comments)
    assert bundleops(["preview", "--target", "staging"], project, pr_env).returncode == 0
    pull_request_change(project)
    (project / "bundleops.yml").write_text("deploy:\n  auto_approve: true\n", encoding="utf-8")
    again = bundleops(["preview", "--target", "staging"], project, pr_env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "pull-request comment updated in place (github)" in again.stdout
    [posted] = comments.texts("github", snapshots.PR)
    assert "**Plan: 6 to add, 0 to change, 0 to delete, 0 unchanged**" in posted  # nothing deployed yet: two jobs, the test job, their permissions


def test_prod_applies_the_reviewed_plan(tmp_path: Path, env: dict[str, str], client: Any, comments: PullRequestComments) -> None:
    project = orders_project(tmp_path / "p")
    prod_env = ci_env(env, "github", "push_default", tmp_path, comments)
    assert bundleops(["deploy", "--target", "prod"], project, prod_env).returncode == 0
    (project / "resources" / "orders.yml").write_text(orders_jobs("orders ingest v2"), encoding="utf-8")
    preview = bundleops(["preview", "--target", "prod", "--plan-file", str(tmp_path / "approved.json")], project, prod_env)
    assert preview.returncode == 0, preview.stdout + preview.stderr

    applied = bundleops(["deploy", "--target", "prod", "--plan-file", str(tmp_path / "approved.json")], project, prod_env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert f"the reviewed plan {tmp_path / 'approved.json'} still holds" in applied.stdout
    assert "orders ingest v2" in job_names(client)


def test_prod_stops_when_another_deploy_landed_after_the_approval(tmp_path: Path, env: dict[str, str], client: Any, comments: PullRequestComments) -> None:
    project = orders_project(tmp_path / "p")
    prod_env = ci_env(env, "github", "push_default", tmp_path, comments)
    assert bundleops(["deploy", "--target", "prod"], project, prod_env).returncode == 0
    (project / "resources" / "orders.yml").write_text(orders_jobs("orders ingest v2"), encoding="utf-8")
    assert bundleops(["preview", "--target", "prod", "--plan-file", str(tmp_path / "approved.json")], project, prod_env).returncode == 0

    other = orders_project(tmp_path / "other")  # another pipeline deploys prod in between, with another change
    (other / "resources" / "orders.yml").write_text(orders_jobs(export_parameter="nightly"), encoding="utf-8")
    assert bundleops(["deploy", "--target", "prod"], other, prod_env).returncode == 0

    stale = bundleops(["deploy", "--target", "prod", "--plan-file", str(tmp_path / "approved.json")], project, prod_env)
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert f"plan out of date: the workspace changed since {tmp_path / 'approved.json'} was made and reviewed (another deploy ran" in stale.stdout + stale.stderr
    assert "run `bundleops preview` again, review the new plan" in stale.stdout + stale.stderr
    assert "orders ingest v2" not in job_names(client)


def test_a_plan_file_that_is_not_a_plan_is_bad_input(tmp_path: Path, env: dict[str, str], comments: PullRequestComments) -> None:
    project = orders_project(tmp_path / "p")
    (tmp_path / "plan.json").write_text("Error: not a plan\n", encoding="utf-8")
    result = bundleops(["deploy", "--target", "staging", "--plan-file", str(tmp_path / "plan.json")], project, env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"the plan file {tmp_path / 'plan.json'} is not a `databricks bundle plan -o json` plan" in result.stdout + result.stderr


HOSTILE_NAME = "x`` <details><summary>ok</summary> @org/admins #12 [a](https://e.x)"  # shown whole: < 80 characters


def test_a_hostile_job_name_is_shown_as_text_and_its_recreation_held_back(tmp_path: Path, env: dict[str, str], comments: PullRequestComments) -> None:
    """Issue 21 through the local workspace: a pull request moves `ingest` to a new key under a name
    built to close the code span early and fold the rest of the comment under "ok". GitHub's step
    summary and comment show the name as code, and the job's recreation as destructive, held back."""
    from html import escape

    from markdown_it import MarkdownIt

    project = orders_project(tmp_path / "p")
    pr_env = ci_env(env, "github", "pull_request", tmp_path, comments)
    assert bundleops(["deploy", "--target", "staging"], project, pr_env).returncode == 0
    jobs = orders_jobs().replace("    ingest:\n      name: orders ingest\n", f"    ingest_v2:\n      name: {json.dumps(HOSTILE_NAME)}\n")
    (project / "resources" / "orders.yml").write_text(jobs, encoding="utf-8")

    preview = bundleops(["preview", "--target", "staging"], project, pr_env)
    assert preview.returncode == 1, preview.stdout + preview.stderr
    [posted] = comments.texts("github", snapshots.PR)
    shown = f"[pr-{snapshots.PR}] {HOSTILE_NAME}"
    for where, markdown in (("step summary", summary_of("github", project, tmp_path, preview.stdout)), ("comment", posted)):
        html = MarkdownIt("commonmark").enable("table").render(markdown)
        assert "<details>" not in html and "<summary>" not in html and "<a href" not in html, f"{where}: the name became markup\n{markdown}"
        assert f"<code>{escape(shown, quote=False)}</code>" in html, f"{where}: the name is not shown as text\n{html}"
        assert "Deletes or recreates <code>jobs.ingest</code> (delete). <strong>The deploy is held back</strong>" in html, f"{where}\n{html}"
        assert "<h4><code>jobs.ingest_v2</code>" in html and "<h4><code>jobs.ingest</code>" in html, f"{where}\n{html}"


def orders_pipelines(storage: str = "/pipelines/orders-a", archive: bool = True) -> str:
    archive_pipeline = """
    archive:
      name: orders archive
      storage: /pipelines/orders-archive
      libraries:
        - file:
            path: ../src/fake_tests.py
""" if archive else ""
    return f"""
resources:
  pipelines:
    orders:
      name: orders pipeline
      storage: {storage}
      libraries:
        - file:
            path: ../src/fake_tests.py
{archive_pipeline}"""


def test_a_pipelines_recreation_and_deletion_are_shown_and_held_back(tmp_path: Path, env: dict[str, str], client: Any, comments: PullRequestComments) -> None:
    """Issue 22: the real CLI asks before it deletes or recreates a pipeline (its tables go with it);
    the preview shows both and the deploy holds them back without deploy.auto_approve."""
    project = shop_project(tmp_path / "p", changes={"databricks.yml": PR_ROOT + PROD_TARGET, "resources/orders.yml": orders_pipelines()})
    pr_env = ci_env(env, "github", "pull_request", tmp_path, comments)
    first = bundleops(["deploy", "--target", "staging"], project, pr_env)
    assert first.returncode == 0, first.stdout + first.stderr
    before = {pipeline.name: pipeline.pipeline_id for pipeline in client.pipelines.list_pipelines()}
    (project / "resources" / "orders.yml").write_text(orders_pipelines("/pipelines/orders-b", archive=False), encoding="utf-8")

    preview = bundleops(["preview", "--target", "staging"], project, pr_env)
    assert preview.returncode == 1, preview.stdout + preview.stderr
    held = ("destructive changes held back: the deploy to staging would delete pipelines.archive (removed from the bundle configuration); "
            "recreate pipelines.orders (changes a field that cannot be updated in place: storage (immutable))")
    assert held in preview.stdout + preview.stderr
    summary = summary_of("github", project, tmp_path, preview.stdout)
    assert "Deletes or recreates `pipelines.archive` (delete), `pipelines.orders` (recreate). **The deploy is held back**" in summary, summary
    assert "| `storage` | `/pipelines/orders-a` | `/pipelines/orders-b` |" in summary

    refused = bundleops(["deploy", "--target", "staging"], project, pr_env)
    assert refused.returncode == 1 and held in refused.stdout + refused.stderr, refused.stdout + refused.stderr
    assert {pipeline.name: pipeline.pipeline_id for pipeline in client.pipelines.list_pipelines()} == before  # nothing changed
