"""One CI pipeline played on this machine: the plan, then each planned step as its own process.

The demo plays one CI system's part (bundleops.demo.ci_events): each step gets the predefined
variables that CI sets for the event, so `bundleops context` and the prod guard see a real
pull-request or default-branch pipeline of that CI, and each step is a separate `bundleops`
process as in a CI job. Their output is read line by line and shown as the CI's log viewer
would show it (bundleops.demo.terminal), through the writer of wherever the demo itself runs
(plain text on a terminal or in a pipe).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from bundleops.demo.ci_events import DEFAULT_BRANCH, CiSystem, EventTemplate, fill
from bundleops.demo.terminal import TerminalLog
from bundleops.output import current

# Variables of the caller's shell that would change what the steps see (another CI, credentials).
_FOREIGN_PREFIXES = ("DATABRICKS_", "GITHUB_", "GITLAB_", "CI_", "SYSTEM_", "BUILD_", "TF_BUILD", "JENKINS_", "BITBUCKET_", "BUNDLEOPS_", "SONAR_", "ARM_",
                     "CHANGE_", "BRANCH_NAME", "GIT_COMMIT", "TAG_NAME")
# A scheduled sweep pipeline, as the templates run it where the CI gives no close event.
SWEEP = ["sweep", "--target", "staging", "--older-than", "7d"]


@dataclass(frozen=True)
class Event:
    title: str
    ci: CiSystem
    variables: dict[str, str]
    payload: dict[str, Any] | None = None
    number: int | None = None  # the pull request's
    # Commands the pipeline runs instead of asking the plan (the scheduled sweep pipeline runs `bundleops sweep` itself), on `target`.
    commands: tuple[tuple[str, ...], ...] = ()
    target: str | None = None


def _event(ci: CiSystem, title: str, templates: list[EventTemplate], values: Mapping[str, Any], commands: tuple[tuple[str, ...], ...] = (),
           target: str | None = None) -> Event:
    """The CI's common variables and the event's, filled; later templates add to (and override) earlier ones."""
    variables = {name: str(value) for name, value in fill(ci.common, values).items()}
    payload: dict[str, Any] | None = None
    for template in templates:
        variables.update((name, str(value)) for name, value in fill(template.variables, values).items())
        if template.payload is not None:
            payload = {**(payload or {}), **fill(template.payload, values)}
    return Event(title, ci, variables, payload, values.get("number"), commands, target)


def pull_request(ci: CiSystem, sha: str, number: int = 1, branch: str = "feature/daily-revenue", *, run: int, closed: bool = False) -> Event:
    """A pull-request pipeline into the default branch; `closed`: the job the CI runs when the pull request is merged or closed."""
    templates = [ci.pull_request] + ([ci.closed] if closed and ci.closed else [])
    title = f"{ci.change} {ci.ref(number)} {branch} -> {DEFAULT_BRANCH}"
    if closed:
        title += f" merged ({ci.closed.note})" if ci.closed and ci.closed.note else " merged"
    return _event(ci, title, templates, {"number": number, "branch": branch, "sha": sha, "default": DEFAULT_BRANCH, "run": run})


def default_branch_push(ci: CiSystem, sha: str, *, run: int, what: str = "the merge") -> Event:
    return _event(ci, f"push to {DEFAULT_BRANCH} ({what})", [ci.push], {"branch": DEFAULT_BRANCH, "sha": sha, "default": DEFAULT_BRANCH, "run": run})


def scheduled_sweep(ci: CiSystem, sha: str, *, run: int) -> Event:
    """Where the CI runs nothing when a pull request closes: the scheduled pipeline that runs `bundleops sweep`."""
    template = ci.schedule or ci.push
    return _event(ci, f"scheduled sweep ({template.note})", [template], {"branch": DEFAULT_BRANCH, "sha": sha, "default": DEFAULT_BRANCH, "run": run},
                  commands=(tuple(SWEEP),), target="staging")


def manual_rollback(ci: CiSystem, sha: str, *, run: int) -> Event:
    """The manual rollback run the templates offer (docs/history.md): its preview for the approver, the rollback, then the history."""
    template = ci.manual or ci.push
    prod = ("--target", "prod")
    return _event(ci, f"manual run on {DEFAULT_BRANCH}: roll prod back to the previous deployment ({template.note or 'a build by hand'})", [template],
                  {"branch": DEFAULT_BRANCH, "sha": sha, "default": DEFAULT_BRANCH, "run": run},
                  commands=(("rollback", *prod, "--to", "previous", "--preview-only"), ("rollback", *prod, "--to", "previous"),
                            ("history", *prod), ("history", *prod, "--dora")), target="prod")


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
    deployment: str | None = None

    @property
    def ok(self) -> bool:
        return all(step.code == 0 for step in self.steps)


def clean_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The caller's environment without another CI's variables or any credentials: a developer's shell."""
    return {key: value for key, value in environ.items() if not key.startswith(_FOREIGN_PREFIXES)}


def _bundleops(args: list[str], project: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bundleops", *args], cwd=project, env=dict(env), text=True,
                          capture_output=True, check=False, timeout=1800)


def _step(args: list[str], project: Path, env: Mapping[str, str], vendor: str, label: str | None) -> int:
    """A step whose output is shown line by line as the CI's viewer shows it; `[label]` before each line when pipelines run side by side."""
    # Bytes, split at newlines only: text mode would turn the `\r` inside GitLab's section markers into a line break.
    process = subprocess.Popen([sys.executable, "-m", "bundleops", *args], cwd=project, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    log = TerminalLog(vendor)
    for line in process.stdout:  # type: ignore[union-attr]
        shown = log.line(line.decode("utf-8", "replace").rstrip("\n"))
        if shown is not None:
            say(shown, label)
    return process.wait(timeout=1800)


def say(text: str, label: str | None = None) -> None:
    """A line for whoever watches the demo, inert for a CI the demo itself may run in."""
    prefix = f"[{label}]" if label else ""
    current().info("\n".join(f"{prefix} {line}" if prefix and line else prefix or line for line in text.split("\n")))


def run(event: Event, project: Path, workspace_env: Mapping[str, str], label: str | None = None) -> PipelineResult:
    """Plan (or the event's own commands), then each step as its own process; `label` prefixes the output (a pipeline running beside another)."""
    say(f"\n######## {event.ci.name} pipeline: {event.title}", label)
    with tempfile.TemporaryDirectory(prefix="bundleops-demo-event-") as scratch:
        env = {**clean_environment(os.environ), **workspace_env, **event.variables}
        if event.payload is not None and event.ci.payload_variable:
            payload = Path(scratch) / "event.json"
            payload.write_text(json.dumps(event.payload), encoding="utf-8")
            env[event.ci.payload_variable] = str(payload)
        if event.commands:
            return _steps(PipelineResult(event, event.target), [list(command) for command in event.commands], project, env, label)
        planned = _bundleops(["plan", "--format", "json", "--project-root", "."], project, env)
        if planned.returncode != 0:
            say(planned.stdout + planned.stderr, label)
            return PipelineResult(event, None, [StepResult("plan", planned.returncode, 0.0)])
        plan = json.loads(planned.stdout)
        say(f"plan: target {plan['target']}, deployment {plan.get('deployment') or 'shared'}, steps {', '.join(plan['steps'])} ({plan['reason']})", label)
        if plan["requires_approval"]:
            say(f"approval: {plan['target']} needs an approval; the demo grants it (in CI a reviewer approves the environment)", label)
        commands = [[name, "--project-root", "."] + (["--target", plan["target"]] if plan["target"] else []) + _reviewed_plan(name, plan) for name in plan["steps"]]
        return _steps(PipelineResult(event, plan["target"], deployment=plan.get("deployment")), commands, project, env, label)


def _steps(result: PipelineResult, commands: list[list[str]], project: Path, env: Mapping[str, str], label: str | None) -> PipelineResult:
    """Each command as its own process, stopping at the first that fails, as a pipeline's jobs do."""
    for args in commands:
        started = time.monotonic()
        code = _step(args, project, env, result.event.ci.key, label)
        result.steps.append(StepResult(args[0], code, time.monotonic() - started))
        if code != 0:
            say(f"step {args[0]} failed (exit {code}): the pipeline stops here", label)
            break
    return result


def _reviewed_plan(step: str, plan: dict) -> list[str]:
    """Behind an approval the deploy applies the plan the preview showed the approver, as the templates do."""
    if step == "deploy" and plan["requires_approval"] and "preview" in plan["steps"]:
        return ["--plan-file", "test-results/bundle-plan.json"]
    return []
