"""Context fields, the plan and the prod guard for six scenarios on each of the five CI systems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bundleops.config import ProjectConfig
from bundleops.context import detect
from bundleops.errors import BundleopsError, ExitCode
from bundleops.plan import check_target, make_plan

from tests.context import snapshots as s
from tests.support.console import run_bundleops

RUN_URLS = {
    "github": "https://github.com/acme/orders/actions/runs/9001",
    "azure": "https://dev.azure.com/acme/Data%20Platform/_build/results?buildId=9001",
    "gitlab": "https://gitlab.com/acme/orders/-/pipelines/9001",
    "bitbucket": "https://bitbucket.org/acme/orders/pipelines/results/9001",
}
AUTHORS = {"github": "dana", "azure": "Dana Dev", "gitlab": "dana", "jenkins": None, "bitbucket": "{dana-uuid}"}
# Jenkins and Bitbucket cannot tell a manual run from a push; both plan the same.
MANUAL_EVENT = {"github": "manual", "azure": "manual", "gitlab": "manual", "jenkins": "push", "bitbucket": "push"}


def expected_context(vendor: str, scenario: str) -> dict:
    run_url = RUN_URLS.get(vendor)
    if vendor == "jenkins":
        name = {"pull_request": f"PR-{s.PR}", "fork_pull_request": f"PR-{s.PR}", "push_default": "main", "push_other": s.FEATURE, "tag": s.TAG, "manual": "main"}[scenario]
        run_url = f"https://ci.acme.example/job/orders/job/{name}/3/"
    base = dict(vendor=vendor, target_branch=None, default_branch="main", pr_number=None, tag=None, is_fork=False, run_url=run_url, author=AUTHORS[vendor], pull_request_state=None)
    if scenario in ("pull_request", "fork_pull_request"):
        author = "dana" if vendor == "jenkins" else AUTHORS[vendor]
        return {**base, "event": "pull_request", "branch": s.FEATURE, "target_branch": "main", "pr_number": s.PR, "sha": s.HEAD_SHA, "author": author, "is_fork": scenario == "fork_pull_request", "pull_request_state": "open"}
    if scenario == "tag":
        return {**base, "event": "tag", "branch": None, "sha": s.PUSH_SHA, "tag": s.TAG}
    branch = s.FEATURE if scenario == "push_other" else "main"
    event = MANUAL_EVENT[vendor] if scenario == "manual" else "push"
    return {**base, "event": event, "branch": branch, "sha": s.PUSH_SHA}


EXPECTED_PLAN = {
    "pull_request": ("staging", ["unit", "validate", "preview", "deploy", "test", "publish"], False, "pull-request-to-default"),
    "fork_pull_request": (None, ["unit"], False, "fork-pull-request"),
    "push_default": ("prod", ["unit", "validate", "preview", "deploy", "publish"], True, "default-branch"),
    "push_other": ("dev", ["unit", "validate"], False, "other-branch"),
    "tag": ("prod", ["unit", "validate", "preview", "deploy", "publish"], True, "release-tag"),
    "manual": ("prod", ["unit", "validate", "preview", "deploy", "publish"], True, "default-branch"),
}
PROD_ALLOWED = {"push_default", "tag", "manual"}


def cases():
    for vendor in s.VENDORS:
        for scenario in s.SCENARIOS:
            marks = []
            if vendor == "bitbucket" and scenario == "fork_pull_request":
                marks.append(pytest.mark.skip(reason="Bitbucket Pipelines runs no pipelines for pull requests from forks"))
            yield pytest.param(vendor, scenario, id=f"{vendor}-{scenario}", marks=marks)


@pytest.mark.parametrize(("vendor", "scenario"), list(cases()))
def test_context_fields(vendor: str, scenario: str, tmp_path: Path) -> None:
    context = detect(ProjectConfig(), environ=s.environment(vendor, scenario, tmp_path), cwd=tmp_path)
    assert context.to_dict() == expected_context(vendor, scenario)


@pytest.mark.parametrize(("vendor", "scenario"), list(cases()))
def test_plan(vendor: str, scenario: str, tmp_path: Path) -> None:
    context = detect(ProjectConfig(), environ=s.environment(vendor, scenario, tmp_path), cwd=tmp_path)
    plan = make_plan(context, ProjectConfig())
    target, steps, approval, rule = EXPECTED_PLAN[scenario]
    assert (plan.target, plan.steps, plan.requires_approval) == (target, steps, approval)
    assert plan.reason.startswith(f"rule {rule!r}: vendor={vendor}")


@pytest.mark.parametrize(("vendor", "scenario"), list(cases()))
def test_prod_guard(vendor: str, scenario: str, tmp_path: Path) -> None:
    context = detect(ProjectConfig(), environ=s.environment(vendor, scenario, tmp_path), cwd=tmp_path)
    if scenario in PROD_ALLOWED:
        assert check_target("prod", context, ProjectConfig()) is None
        return
    with pytest.raises(BundleopsError) as refused:
        check_target("prod", context, ProjectConfig())
    assert refused.value.code == ExitCode.BAD_INPUT
    assert f"vendor={vendor} event={context.event}" in refused.value.message
    # Staging and dev are never guarded.
    assert check_target("staging", context, ProjectConfig()) is None


@pytest.mark.parametrize("scenario", ["pull_request", "fork_pull_request"])
def test_break_glass_never_opens_prod_to_pull_requests(scenario: str, tmp_path: Path) -> None:
    context = detect(ProjectConfig(), environ=s.environment("github", scenario, tmp_path), cwd=tmp_path)
    with pytest.raises(BundleopsError, match="never deployed from a pull request"):
        check_target("prod", context, ProjectConfig(), break_glass="incident 123")


def test_break_glass_allows_a_hotfix_branch_and_says_so(tmp_path: Path) -> None:
    context = detect(ProjectConfig(), environ=s.environment("gitlab", "push_other", tmp_path), cwd=tmp_path)
    warning = check_target("prod", context, ProjectConfig(), break_glass="incident 123")
    assert warning is not None and "BREAK-GLASS" in warning and "incident 123" in warning and s.FEATURE in warning


def test_local_shell_plans_dev_and_is_refused_prod(tmp_path: Path) -> None:
    context = detect(ProjectConfig(), environ={"PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    assert context.vendor == "local" and context.event == "manual"
    assert make_plan(context, ProjectConfig()).target == "dev"
    with pytest.raises(BundleopsError, match="not from a developer's shell"):
        check_target("prod", context, ProjectConfig())


def test_break_glass_does_not_open_prod_to_a_shell(tmp_path: Path) -> None:
    """Break-glass lifts only the branch or tag condition of a CI run (README, --help, the guard)."""
    context = detect(ProjectConfig(), environ={"PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    with pytest.raises(BundleopsError, match="changed only from CI, not from a developer's shell") as refused:
        check_target("prod", context, ProjectConfig(), break_glass="incident 123")
    assert "--break-glass" not in refused.value.fix


def test_a_shell_may_look_at_prod_but_a_pull_request_may_not(tmp_path: Path) -> None:
    """validate and preview change nothing in prod: a developer's shell may run them with the team's credentials."""
    shell = detect(ProjectConfig(), environ={"PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    assert check_target("prod", shell, ProjectConfig(), read_only=True) is None
    pull_request = detect(ProjectConfig(), environ=s.environment("github", "pull_request", tmp_path), cwd=tmp_path)
    with pytest.raises(BundleopsError, match="never deployed from a pull request"):
        check_target("prod", pull_request, ProjectConfig(), read_only=True)


def test_github_pull_request_uses_head_commit_not_merge_commit(tmp_path: Path) -> None:
    context = detect(ProjectConfig(), environ=s.environment("github", "pull_request", tmp_path))
    assert context.sha == s.HEAD_SHA != s.MERGE_SHA


def test_azure_branch_keeps_slashes_that_build_sourcebranchname_drops(tmp_path: Path) -> None:
    env = s.environment("azure", "push_other", tmp_path)
    assert env["BUILD_SOURCEBRANCHNAME"] == "new-orders"
    assert detect(ProjectConfig(), environ=env).branch == "feature/new-orders"


def test_configured_default_branch_applies_where_the_ci_gives_none(tmp_path: Path) -> None:
    env = s.environment("jenkins", "push_default", tmp_path) | {"BRANCH_NAME": "trunk"}
    config = ProjectConfig(default_branch="trunk")
    context = detect(config, environ=env)
    assert context.default_branch == "trunk"
    assert make_plan(context, config).target == "prod"
    assert make_plan(detect(ProjectConfig(), environ=env), ProjectConfig()).target == "dev"


def test_a_plain_jenkins_job_takes_its_branch_from_the_checkout(tmp_path: Path) -> None:
    """The drift check and the rollback run as a plain Pipeline job: no BRANCH_NAME, the Git
    plugin's GIT_BRANCH names the checked-out branch with its remote."""
    env = {name: value for name, value in s.environment("jenkins", "push_default", tmp_path).items() if name != "BRANCH_NAME"}
    context = detect(ProjectConfig(), environ=env | {"GIT_BRANCH": "origin/main"})
    assert (context.event, context.branch) == ("push", "main")
    assert detect(ProjectConfig(), environ=env | {"GIT_BRANCH": "main"}).branch == "main"
    assert detect(ProjectConfig(), environ=env).branch is None


def test_unknown_event_is_a_clear_error(tmp_path: Path) -> None:
    env = s.environment("github", "push_default", tmp_path) | {"GITHUB_EVENT_NAME": "issue_comment"}
    with pytest.raises(BundleopsError, match="'issue_comment' is not one bundleops plans for") as error:
        detect(ProjectConfig(), environ=env)
    assert error.value.fix and "pull_request" in error.value.fix


def test_corrupt_github_payload_is_a_clear_error(tmp_path: Path) -> None:
    env = s.environment("github", "pull_request", tmp_path)
    Path(env["GITHUB_EVENT_PATH"]).write_text("{not json", encoding="utf-8")
    with pytest.raises(BundleopsError, match="is not valid JSON"):
        detect(ProjectConfig(), environ=env)


def test_context_json_from_the_console_script(tmp_path: Path) -> None:
    result = run_bundleops(["context", "--format", "json"], env=s.environment("azure", "fork_pull_request", tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected_context("azure", "fork_pull_request")


def test_plan_json_from_the_console_script(tmp_path: Path) -> None:
    result = run_bundleops(["plan", "--format", "json"], env=s.environment("gitlab", "pull_request", tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["target"] == "staging" and plan["steps"] == ["unit", "validate", "preview", "deploy", "test", "publish"]
    assert plan["requires_approval"] is False and "pull-request-to-default" in plan["reason"]
