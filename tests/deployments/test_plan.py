"""`bundleops plan` names a pull request's own deployment, and destroys it when the pull request closes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.context import snapshots
from tests.deployments.project import default_branch_push, merge_request
from tests.support.console import run_bundleops

pytestmark = pytest.mark.integration


def plan(env: dict[str, str], folder: Path) -> dict:
    result = run_bundleops(["plan", "--format", "json", "--project-root", str(folder)], env=env, cwd=folder, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def test_a_pull_request_into_the_default_branch_gets_its_own_deployment(tmp_path: Path) -> None:
    planned = plan(merge_request(12, "feature/a"), tmp_path)
    assert (planned["target"], planned["deployment"]) == ("staging", "pr-12")
    assert planned["steps"] == ["unit", "validate", "preview", "deploy", "test", "publish"]


def test_a_push_to_the_default_branch_deploys_the_shared_target(tmp_path: Path) -> None:
    planned = plan(default_branch_push(), tmp_path)
    assert (planned["target"], planned["deployment"]) == ("prod", None)


def test_the_deployment_pattern_comes_from_bundleops_yml(tmp_path: Path) -> None:
    (tmp_path / "bundleops.yml").write_text('pull_requests:\n  deployment: "mr-{number}-shop"\n')
    assert plan(merge_request(7, "feature/a"), tmp_path)["deployment"] == "mr-7-shop"


@pytest.mark.parametrize(
    ("pattern", "problem"),
    [("pr", "must hold {number} exactly once"), ("pr-{number}-{number}", "must hold {number} exactly once"),
     ("PR_{number}", "gives ids such as 'PR_12345', not 1-40 lower-case letters"), ("pr/{number}", "gives ids such as 'pr/12345'"),
     ("{branch}-{number}", "gives ids such as '{branch}-12345'")],
)
def test_a_bad_pattern_is_refused_with_its_key(tmp_path: Path, pattern: str, problem: str) -> None:
    (tmp_path / "bundleops.yml").write_text(f'pull_requests:\n  deployment: "{pattern}"\n')
    result = run_bundleops(["plan", "--project-root", str(tmp_path)], env=merge_request(7, "feature/a"), cwd=tmp_path, timeout=60)
    assert result.returncode == 2
    assert f"pull_requests.deployment {pattern!r} {problem}" in result.stdout + result.stderr
    assert "for example 'pr-{number}'" in result.stdout + result.stderr


def test_a_closed_merge_request_destroys_its_deployment(tmp_path: Path) -> None:
    planned = plan(merge_request(12, "feature/a", closed=True), tmp_path)
    assert (planned["target"], planned["steps"], planned["deployment"]) == ("staging", ["destroy"], "pr-12")
    assert "pull-request-closed" in planned["reason"] and "pull_request_state=closed" in planned["reason"]


def test_a_closed_github_pull_request_destroys_but_a_forks_does_not(tmp_path: Path) -> None:
    for scenario, expected in (("pull_request", ["destroy"]), ("fork_pull_request", ["unit"])):
        env = snapshots.environment("github", scenario, tmp_path)
        payload = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text())
        Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps({**payload, "action": "closed"}))
        context = json.loads(run_bundleops(["context", "--format", "json"], env=env, cwd=tmp_path, timeout=60).stdout)
        assert context["pull_request_state"] == "closed"
        assert plan(env, tmp_path)["steps"] == expected


def test_the_plan_outputs_name_the_deployment(tmp_path: Path) -> None:
    env = {**merge_request(12, "feature/a"), "BUNDLEOPS_REPORT_DIR": str(tmp_path / "reports")}
    result = run_bundleops(["plan", "--outputs", "--project-root", str(tmp_path)], env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    outputs = (tmp_path / "reports" / "bundleops.env").read_text().splitlines()
    assert "deployment=pr-12" in outputs and "run_destroy=false" in outputs
