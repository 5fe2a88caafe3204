"""What one CI job runs for one bundle, from the bundle's plan: the steps in order, and the red path.

Every template has the same three jobs (docs/steps.md): the unit tests before any approval; the
target job (validate, preview, deploy, test, publish); and, before the prod gate, the preview the
approver reads. Written once here, they replace a shell block that each template repeated:

- the first failing step stops the steps after it, but publish still runs (the CI shows the failed
  tests), and the job ends with the failing step's exit code, or publish's when nothing else failed;
- behind the prod gate (`gated`), validate and preview ran in the preview job: the deploy applies
  the plan file the approver saw instead of planning again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bundleops.plan.planner import Plan

JOBS = ("unit", "target", "preview")
# The target job's steps in their order; `destroy` is a closed pull request's whole plan.
TARGET_STEPS = ("validate", "preview", "deploy", "test", "destroy")
PLAN_FILE = "bundle-plan.json"

# Runs `bundleops <args>` for the bundle; its exit code.
StepRunner = Callable[[list[str]], int]


@dataclass(frozen=True)
class JobRequest:
    job: str
    target: str | None = None
    gated: bool = False
    sonar: bool = False
    # `sweep` (the scheduled sweep, for each bundle of a repository): the sweep's own options.
    sweep_options: tuple[str, ...] = ()


@dataclass
class Outcome:
    """What a job did for one bundle: the steps it ran with their exit codes, or why it ran none."""

    ran: list[tuple[str, int]] = field(default_factory=list)
    skipped: str | None = None
    code: int = 0

    def describe(self) -> str:
        if self.skipped:
            return self.skipped
        steps = ", ".join(step if code == 0 else f"{step} (exit {code})" for step, code in self.ran)
        return ("passed: " if self.code == 0 else "failed: ") + steps


def run_job(request: JobRequest, plan: Plan, project_root: Path, report_dir: Path, run_step: StepRunner) -> Outcome:
    """The job's steps for this bundle, each through `run_step`, with the red path."""
    root = ["--project-root", str(project_root)]
    if request.job == "sweep":  # not a planned step: a schedule sweeps every bundle
        return _red_path([["sweep", *root, "--target", request.target or "", *request.sweep_options]], [], run_step)
    why_not = _nothing_to_run(request, plan)
    if why_not:
        return Outcome(skipped=why_not)
    if request.job == "unit":
        return _red_path([["unit", *root]], _publish(request, plan, root), run_step, publish_only_after_failure=True)
    targeted = [*root, "--target", plan.target or ""]
    plan_file = ["--plan-file", str(report_dir / PLAN_FILE)]
    if request.job == "preview":
        steps = [["validate", *targeted]] if "validate" in plan.steps else []
        return _red_path([*steps, ["preview", *targeted, *plan_file]], [], run_step)
    reviewed = request.gated and "preview" in plan.steps
    steps = [
        [step, *targeted, *(plan_file if reviewed and step == "deploy" else [])]
        for step in TARGET_STEPS
        if step in plan.steps and not (reviewed and step in ("validate", "preview"))
    ]
    return _red_path(steps, _publish(request, plan, root), run_step)


def _nothing_to_run(request: JobRequest, plan: Plan) -> str | None:
    if request.job == "unit":
        return None if "unit" in plan.steps else "no unit tests planned"
    if plan.target != request.target:
        return f"the plan targets '{plan.target or 'none'}', not {request.target}: nothing to run here"
    if request.job == "preview" and "preview" not in plan.steps:
        return f"no preview planned for {request.target}"
    return None


def _publish(request: JobRequest, plan: Plan, root: list[str]) -> list[list[str]]:
    """publish, and with SonarQube the quality gate after it (only when publish succeeded)."""
    if "publish" not in plan.steps:
        return []
    if request.sonar:
        return [["publish", *root, "--sonar"], ["quality-gate", *root]]
    return [["publish", *root]]


def _red_path(steps: list[list[str]], publish: list[list[str]], run_step: StepRunner, *, publish_only_after_failure: bool = False) -> Outcome:
    outcome = Outcome()
    failed = _until_a_failure(steps, run_step, outcome)
    if publish_only_after_failure and failed == 0:
        return outcome
    published = _until_a_failure(publish, run_step, outcome)  # after a failure too: it shows what failed
    outcome.code = failed or published
    return outcome


def _until_a_failure(commands: list[list[str]], run_step: StepRunner, outcome: Outcome) -> int:
    """Each command in turn, recorded in `outcome`, up to the first that fails; that one's exit code, else 0."""
    for args in commands:
        code = run_step(args)
        outcome.ran.append((args[0], code))
        if code != 0:
            return code
    return 0
