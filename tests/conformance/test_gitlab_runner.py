"""The GitLab runner on its own: the consumer file of orders_pipeline, run by gitlab-ci-local against
the local workspace, runs what `bundleops plan` decides, keeps prod behind the manual job, stops
at a failing step, and executes nothing from a branch name or merge-request title.

`run_example` and `planned_steps` are shared with test_bitbucket_runner.py.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Callable

import pytest

from bundleops.config import load as load_config
from bundleops.context.model import CIContext
from bundleops.plan.planner import make_plan
from tests.conformance import harness
from tests.support.gotemplate import EXAMPLE_INPUTS, TEMPLATE_DIR, render_tree

pytestmark = pytest.mark.vendor_runner
TARGETED = ("validate", "deploy", "test")


def run_example(
    vendor: str,
    event: str,
    workspace: harness.Workspace,
    workdir: Path,
    *,
    branch: str | None = None,
    title: str | None = None,
    edit: Callable[[Path], None] | None = None,
) -> harness.VendorRun:
    """orders_pipeline rendered for `vendor` (then changed by `edit`), in a repository, run by the
    vendor's runner for `event`.

    Git refuses branch names with spaces, so the repository's branch is always `feature/orders`
    for a pull request; `branch` reaches the CI only as the variable the CI system sets for it.
    """
    render_tree(TEMPLATE_DIR, {**EXAMPLE_INPUTS, "ci_system": vendor}, workdir)
    project = workdir / EXAMPLE_INPUTS["project_name"]
    if edit is not None:
        edit(project)
    harness.make_repository(project, harness.FEATURE_BRANCH if event == "pull_request" else "main")
    trace_file = workdir / "trace.jsonl"
    env = harness.pipeline_env(workspace, trace_file)
    if event == "pull_request":
        env["BUNDLEOPS_TEST_BRANCH"] = branch or harness.FEATURE_BRANCH
        env["BUNDLEOPS_TEST_PR_TITLE"] = title or harness.PR_TITLE
    runner = importlib.import_module(f"tests.conformance.runners.{vendor}")
    result = runner.run(event, project, env, workdir / "runner")
    log = (result.stdout or "") + (result.stderr or "")
    return harness.VendorRun(vendor, event, project, result.returncode, harness.steps_run(trace_file), log)


def planned_steps(vendor: str, event: str, project: Path) -> tuple[list[str], str | None]:
    """The steps and target `bundleops plan` decides for the event (not vendor `local`: that is a developer's shell)."""
    if event == "pull_request":
        context = CIContext(vendor=vendor, event="pull_request", branch=harness.FEATURE_BRANCH, target_branch="main", default_branch="main", pr_number=harness.PR_NUMBER)
    else:
        context = CIContext(vendor=vendor, event="push", branch="main", default_branch="main")
    plan = make_plan(context, load_config(project))
    return plan.steps, plan.target


def assert_ran_the_plan(run: harness.VendorRun) -> None:
    """The trace lists the planned steps in order; every step that takes a target got the plan's."""
    steps, target = planned_steps(run.vendor, run.event, run.project)
    assert run.returncode == 0, run.log_tail
    assert [step for step, _ in run.steps] == steps, run.log_tail
    assert all(got == target for step, got in run.steps if step in TARGETED), run.steps


@pytest.mark.parametrize("event", harness.EVENTS)
def test_runs_the_planned_steps(event: str, conformance_workspace: harness.Workspace, tmp_path: Path) -> None:
    run = run_example("gitlab", event, conformance_workspace, tmp_path)
    assert_ran_the_plan(run)
    if event == "pull_request":
        assert "bundleops-prod" not in run.log_tail, "a merge-request pipeline must not contain the prod job"
        assert "the plan targets 'staging', not dev: nothing to run here" in run.log_tail
    else:
        assert "bundleops-prod" in run.log_tail and "PASS  bundleops-prod" in run.log_tail
    # --shell-isolation: the unit reports reach the target job only through the plan job's artifacts.
    _, target = planned_steps("gitlab", event, run.project)
    assert_published_unit_tests(run.project / ".gitlab-ci-local" / "artifacts" / f"bundleops-{target}" / "test-results")


def assert_published_unit_tests(report_dir: Path) -> None:
    """The merged JUnit report the CI shows (publish's output) holds the unit tests run in the first job."""
    assert (report_dir / "coverage.xml").is_file(), sorted(report_dir.iterdir())
    assert '<testsuite name="unit: ' in (report_dir / "junit.xml").read_text(encoding="utf-8")


def assert_branch_and_title_stay_data(vendor: str, workspace: harness.Workspace, workdir: Path) -> None:
    """A pull request whose branch name and title are shell code: nothing runs it, bundleops sees it verbatim."""
    run = run_example(vendor, "pull_request", workspace, workdir, branch=harness.INJECTION_BRANCH, title=harness.INJECTION_TITLE)
    assert sorted(workdir.rglob("pwned")) == []
    assert_ran_the_plan(run)
    assert f"branch={harness.INJECTION_BRANCH} " in run.log_tail, "bundleops must see the branch name verbatim"


def test_branch_name_and_title_are_data_never_code(conformance_workspace: harness.Workspace, tmp_path: Path) -> None:
    assert_branch_and_title_stay_data("gitlab", conformance_workspace, tmp_path)


def break_config(project: Path) -> None:
    """A typo in bundleops.yml: `bundleops plan` exits 2 naming the key."""
    config = project / "bundleops.yml"
    config.write_text(config.read_text(encoding="utf-8") + "deploy:\n  autoapprove: true\n", encoding="utf-8")


def unreachable_workspace(tmp_path: Path) -> harness.Workspace:
    """Credentials for runs that must stop before any call to a workspace."""
    return harness.Workspace("http://127.0.0.1:9", "00000000-0000-0000-0000-000000000000", "never-used", tmp_path)


def run_with_failing_plan(vendor: str, workdir: Path) -> harness.VendorRun:
    """A pull request with a typo in bundleops.yml: the plan exits 2, no step runs, the run fails."""
    run = run_example(vendor, "pull_request", unreachable_workspace(workdir), workdir, edit=break_config)
    assert run.returncode != 0
    assert run.steps == [], "no step may run after the plan failed"
    assert "deploy.autoapprove" in run.log_tail
    return run


def test_a_failing_plan_stops_the_pipeline(tmp_path: Path) -> None:
    run = run_with_failing_plan("gitlab", tmp_path)
    assert "bundleops-staging starting" not in run.log_tail and "bundleops-dev     starting" not in run.log_tail


def test_jobs_install_the_pinned_bundleops_and_nothing_else(tmp_path: Path) -> None:
    """PIP_NO_INDEX: a job asking for another bundleops than the working tree fails at its install."""

    def ask_for_another_version(project: Path) -> None:
        consumer = project / ".gitlab-ci.yml"
        consumer.write_text(consumer.read_text(encoding="utf-8") + "    inputs:\n      bundleops_source: bundleops==99.0.0\n", encoding="utf-8")

    run = run_example("gitlab", "push", unreachable_workspace(tmp_path), tmp_path, edit=ask_for_another_version)
    assert run.returncode != 0 and run.steps == []
    assert "No matching distribution found for bundleops==99.0.0" in run.log_tail
