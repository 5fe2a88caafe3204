"""One CI pipeline played on this machine: the plan, then each planned step as its own process.

The demo plays GitLab CI's part: each step gets the predefined variables GitLab would set for
the event, so `bundleops context` and the prod guard see a real merge-request or
default-branch pipeline, and each step is a separate `bundleops` process as in a CI job.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

# Variables of the caller's shell that would change what the steps see (another CI, credentials).
_FOREIGN_PREFIXES = ("DATABRICKS_", "GITHUB_", "GITLAB_", "CI_", "SYSTEM_", "BUILD_", "TF_BUILD", "JENKINS_", "BITBUCKET_", "BUNDLEOPS_", "SONAR_", "ARM_")


@dataclass(frozen=True)
class Event:
    title: str
    variables: dict[str, str]


def merge_request(sha: str, project_id: str = "1001") -> Event:
    return Event("merge request !1 feature/daily-revenue -> main", {
        "CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "1",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feature/daily-revenue", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": sha, "CI_MERGE_REQUEST_PROJECT_ID": project_id,
        "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": project_id, "CI_COMMIT_SHA": sha, "CI_PIPELINE_URL": "http://gitlab.local/demo/orders_pipeline/-/pipelines/1",
    })


def default_branch_push(sha: str) -> Event:
    return Event("push to main (the merge)", {
        "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "main", "CI_COMMIT_SHA": sha,
        "CI_PIPELINE_URL": "http://gitlab.local/demo/orders_pipeline/-/pipelines/2",
    })


@dataclass
class StepResult:
    name: str
    code: int
    seconds: float


@dataclass
class PipelineResult:
    event: Event
    target: str | None
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.code == 0 for step in self.steps)


def clean_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without another CI's variables or any credentials: a developer's shell."""
    return {key: value for key, value in environ.items() if not key.startswith(_FOREIGN_PREFIXES)}


def _bundleops(args: list[str], project: Path, env: Mapping[str, str], capture: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bundleops", *args], cwd=project, env=dict(env), text=True,
                          capture_output=capture, check=False, timeout=1800)


def run(event: Event, project: Path, workspace_env: Mapping[str, str]) -> PipelineResult:
    env = {**clean_environment(os.environ), **workspace_env, "GITLAB_CI": "true", "CI_DEFAULT_BRANCH": "main",
           "CI_PROJECT_ID": "1001", "GITLAB_USER_LOGIN": "dana", **event.variables}
    print(f"\n######## pipeline: {event.title}", flush=True)
    planned = _bundleops(["plan", "--format", "json", "--project-root", "."], project, env, capture=True)
    if planned.returncode != 0:
        print(planned.stdout + planned.stderr, flush=True)
        return PipelineResult(event, None, [StepResult("plan", planned.returncode, 0.0)])
    plan = json.loads(planned.stdout)
    result = PipelineResult(event, plan["target"])
    print(f"plan: target {plan['target']}, steps {', '.join(plan['steps'])} ({plan['reason']})", flush=True)
    if plan["requires_approval"]:
        print(f"approval: {plan['target']} needs an approval; the demo grants it (in CI a reviewer approves the environment)", flush=True)
    for name in plan["steps"]:
        args = [name, "--project-root", "."] + (["--target", plan["target"]] if plan["target"] else []) + _reviewed_plan(name, plan)
        started = time.monotonic()
        completed = _bundleops(args, project, env)
        result.steps.append(StepResult(name, completed.returncode, time.monotonic() - started))
        if completed.returncode != 0:
            print(f"step {name} failed (exit {completed.returncode}): the pipeline stops here", flush=True)
            break
    return result


def _reviewed_plan(step: str, plan: dict) -> list[str]:
    """Behind an approval the deploy applies the plan the preview showed the approver, as the templates do."""
    if step == "deploy" and plan["requires_approval"] and "preview" in plan["steps"]:
        return ["--plan-file", "test-results/bundle-plan.json"]
    return []
