"""Which `bundleops` steps a template job runs for one bundle, in which order, and the red path.

The steps are recorded through the job's step runner (what `bundleops run` passes in to start each
step as a process); each case sets the exit codes the steps return.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bundleops.plan.planner import Plan
from bundleops.run.jobs import JobRequest, run_job

PR = Plan("staging", ["unit", "validate", "preview", "deploy", "test", "publish"], False, "rule 'pull-request-to-default'", "pr-7")
PROD = Plan("prod", ["unit", "validate", "preview", "deploy", "publish"], True, "rule 'default-branch'")
CLOSED = Plan("staging", ["destroy"], False, "rule 'pull-request-closed'", "pr-7")
ROOT = Path("bundles/orders")
REPORTS = Path("test-results/bundles-orders")


def run(request: JobRequest, plan: Plan, fails: dict[str, int] | None = None) -> tuple[list[list[str]], int, str]:
    calls: list[list[str]] = []

    def step(args: list[str]) -> int:
        calls.append(args)
        return (fails or {}).get(args[0], 0)

    outcome = run_job(request, plan, ROOT, REPORTS, step)
    return calls, outcome.code, outcome.describe()


def names(calls: list[list[str]]) -> list[str]:
    return [args[0] for args in calls]


def test_the_target_job_runs_the_planned_steps_in_order_then_publishes() -> None:
    calls, code, described = run(JobRequest("target", "staging"), PR)
    assert names(calls) == ["validate", "preview", "deploy", "test", "publish"]
    assert calls[0] == ["validate", "--project-root", "bundles/orders", "--target", "staging"]
    assert calls[-1] == ["publish", "--project-root", "bundles/orders"]
    assert (code, described) == (0, "passed: validate, preview, deploy, test, publish")


@pytest.mark.parametrize(("failing", "ran"), [
    ("validate", ["validate", "publish"]),
    ("deploy", ["validate", "preview", "deploy", "publish"]),
    ("test", ["validate", "preview", "deploy", "test", "publish"]),
])
def test_the_first_failing_step_stops_the_rest_but_publish_runs_and_its_code_is_the_jobs(failing: str, ran: list[str]) -> None:
    calls, code, described = run(JobRequest("target", "staging"), PR, {failing: 3, "publish": 1})
    assert names(calls) == ran
    assert code == 3, "the failing step's code, not publish's"
    assert f"{failing} (exit 3)" in described and described.startswith("failed: ")


def test_a_failing_publish_fails_a_job_whose_steps_passed() -> None:
    _, code, _ = run(JobRequest("target", "staging"), PR, {"publish": 1})
    assert code == 1


def test_sonar_publishes_with_the_analysis_then_waits_for_the_gate_only_after_a_good_publish() -> None:
    calls, _, _ = run(JobRequest("target", "staging", sonar=True), PR)
    assert calls[-2:] == [["publish", "--project-root", "bundles/orders", "--sonar"], ["quality-gate", "--project-root", "bundles/orders"]]
    calls, code, _ = run(JobRequest("target", "staging", sonar=True), PR, {"publish": 2})
    assert names(calls)[-1] == "publish" and code == 2


def test_behind_the_gate_the_deploy_applies_the_plan_the_preview_job_saved() -> None:
    preview, _, _ = run(JobRequest("preview", "prod"), PROD)
    assert preview == [
        ["validate", "--project-root", "bundles/orders", "--target", "prod"],
        ["preview", "--project-root", "bundles/orders", "--target", "prod", "--plan-file", "test-results/bundles-orders/bundle-plan.json"],
    ]
    gated, _, _ = run(JobRequest("target", "prod", gated=True), PROD)
    assert gated == [
        ["deploy", "--project-root", "bundles/orders", "--target", "prod", "--plan-file", "test-results/bundles-orders/bundle-plan.json"],
        ["publish", "--project-root", "bundles/orders"],
    ]


def test_a_failing_validate_in_the_preview_job_stops_the_preview() -> None:
    calls, code, _ = run(JobRequest("preview", "prod"), PROD, {"validate": 1})
    assert names(calls) == ["validate"] and code == 1


def test_the_unit_job_publishes_only_when_the_unit_tests_failed() -> None:
    calls, code, _ = run(JobRequest("unit"), PR)
    assert names(calls) == ["unit"] and code == 0
    calls, code, _ = run(JobRequest("unit"), PR, {"unit": 1})
    assert names(calls) == ["unit", "publish"] and code == 1


def test_a_closed_pull_request_destroys_its_deployment_in_the_target_job() -> None:
    calls, code, _ = run(JobRequest("target", "staging"), CLOSED)
    assert calls == [["destroy", "--project-root", "bundles/orders", "--target", "staging"]] and code == 0


@pytest.mark.parametrize(("request_", "plan", "why"), [
    (JobRequest("target", "dev"), PR, "the plan targets 'staging', not dev: nothing to run here"),
    (JobRequest("preview", "staging"), CLOSED, "no preview planned for staging"),
    (JobRequest("unit"), CLOSED, "no unit tests planned"),
    (JobRequest("target", "prod"), Plan(None, ["unit"], False, "fallback"), "the plan targets 'none', not prod: nothing to run here"),
])
def test_a_job_with_nothing_planned_runs_nothing_and_passes(request_: JobRequest, plan: Plan, why: str) -> None:
    calls, code, described = run(request_, plan)
    assert (calls, code, described) == ([], 0, why)
