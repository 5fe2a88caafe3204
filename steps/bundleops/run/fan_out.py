"""The job for every bundle the plan selects: each bundle's steps with its own plan and report
folder, N bundles at a time, one result line per bundle, and one exit code for the CI job.

A repository whose root is its bundle runs exactly as a single job always did: its reports in the
report folder itself, its steps' output live. In a repository of bundles each bundle reports into
`<report folder>/<key>/` (test-results/bundles-orders/junit.xml), so no bundle overwrites
another's JUnit, coverage, summary or saved plan, and a failing bundle stops only its own steps:
the others finish and report, and the job fails.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bundleops import config as project_config
from bundleops.context.detect import observe, with_project_defaults
from bundleops.output import current
from bundleops.output import markdown as md
from bundleops.output.redact import register_environment
from bundleops.output.writers import REPORT_DIR_ENV, report_dir
from bundleops.plan.discovery import discover
from bundleops.plan.guard import BREAK_GLASS_ENV, check_target
from bundleops.plan.repository import BundlePlan, RepositoryPlan, plan_repository
from bundleops.run.jobs import JobRequest, Outcome, run_job
from bundleops.run.pool import StepProcesses, run_all, write_block

__all__ = ["JobRequest", "holds_bundles_below", "run_selected"]


AZURE_BUILD_TOKEN = "SYSTEM_ACCESSTOKEN"
AZURE_DEVOPS_OIDC = "azure-devops-oidc"
# Tokens only some steps use: SonarQube's (publish --sonar, quality-gate), and the CI's token that
# writes the preview's pull-request comment (bundleops.preview.comment).
STEP_TOKENS = {
    "SONAR_TOKEN": ("publish", "quality-gate"),
    "GITHUB_TOKEN": ("preview",),
    "BUNDLEOPS_GITLAB_TOKEN": ("preview",),
    "BUNDLEOPS_BITBUCKET_TOKEN": ("preview",),
    AZURE_BUILD_TOKEN: ("preview",),
}


@dataclass(frozen=True)
class BundleJob:
    bundle: BundlePlan
    project_root: Path
    report_dir: Path


def run_selected(request: JobRequest, root: Path, parallel: int, *, select_all: bool = False) -> int:
    config = project_config.load(root)
    register_environment(extra=tuple(config.secret_variables))
    observed = observe(cwd=root)
    if request.target:
        # Refused before any step starts (each step would refuse it again): prod from a pull request.
        check_target(request.target, with_project_defaults(observed, config), config, os.environ.get(BREAK_GLASS_ENV), read_only=request.job == "preview")
    repository = plan_repository(root, config, observed, select_all=select_all)
    out = current()
    if not repository.bundles:
        out.info(f"bundleops run: no bundle under {root} is selected for this run: nothing to run ({_since(repository)})")
        return 0
    jobs = [_bundle_job(bundle, root) for bundle in repository.bundles]
    processes = StepProcesses()
    fanned_out = repository.changes is not None

    def work(job: BundleJob, output: int | None) -> Outcome:
        env = {**os.environ, REPORT_DIR_ENV: str(job.report_dir)}
        return run_job(request, job.bundle.plan, job.project_root, job.report_dir, lambda args: processes.run(args, _step_env(args[0], env), output))

    def show(job: BundleJob, outcome: Outcome, text: bytes) -> None:
        """A bundle's block of output; one bundle alone streamed its output live, and its result
        line (in a repository of bundles, the table at the end) is all that is left to say."""
        if text:
            with out.group(f"bundle {job.bundle.project_root}: {outcome.describe()}"):
                write_block(text)
        elif outcome.skipped and not fanned_out:
            out.info(f"bundleops: {outcome.skipped}")

    with processes.stopped_on_cancel():
        outcomes = run_all(jobs, work, show, parallel)
    if fanned_out:
        _report(request, jobs, outcomes, processes.cancelled_by)
    failed = [outcome.code for outcome in outcomes if outcome.code != 0]
    return failed[0] if failed else 0


def _step_env(step: str, env: dict[str, str]) -> dict[str, str]:
    """The job's environment without the tokens this step does not use. A CI binds them for the
    whole job, but validate and deploy run the bundle's own code (Python resources, build
    scripts), which must not read SonarQube's token or the one that writes pull-request comments."""
    dropped = {name for name, steps in STEP_TOKENS.items() if step not in steps}
    if env.get("DATABRICKS_AUTH_TYPE") == AZURE_DEVOPS_OIDC:
        dropped.discard(AZURE_BUILD_TOKEN)  # the step signs in to Databricks with it
    return {name: value for name, value in env.items() if name not in dropped}


def holds_bundles_below(root: Path) -> bool:
    """`root` is a repository of bundles, not a bundle (steps that act on one bundle take each)."""
    config = project_config.load(root)
    return discover(root, config) not in ([], ["."])


def _bundle_job(bundle: BundlePlan, root: Path) -> BundleJob:
    reports = report_dir()
    own = reports if bundle.project_root == "." else reports / bundle.key
    return BundleJob(bundle, root / bundle.project_root, own)


def _since(repository: RepositoryPlan) -> str:
    return repository.changes.since if repository.changes is not None else "the repository has no bundle"


def _report(request: JobRequest, jobs: list[BundleJob], outcomes: list[Outcome], cancelled_by: str | None) -> None:
    """One line per bundle in the log, and the same as a table in the job summary."""
    out = current()
    title = f"bundleops run --job {request.job}" + (f" --target {request.target}" if request.target else "")
    failed = sum(1 for outcome in outcomes if outcome.code != 0)
    verdict = f"{len(jobs) - failed} of {len(jobs)} bundles passed" + (f", stopped by {cancelled_by}" if cancelled_by else "")
    lines = [f"{title}: {verdict}"] + [f"  {job.bundle.project_root}: {outcome.describe()}" for job, outcome in zip(jobs, outcomes)]
    out.info("\n".join(lines))
    if failed:
        names = ", ".join(job.bundle.project_root for job, outcome in zip(jobs, outcomes) if outcome.code != 0)
        out.error(f"{failed} of {len(jobs)} bundles failed: {names}; each bundle's log is in its own group above")
    rows = [f"| {md.code(job.bundle.project_root, cell=True)} | {md.code(job.report_dir.as_posix(), cell=True)} | {md.visible(outcome.describe())} |" for job, outcome in zip(jobs, outcomes)]
    out.summary("\n".join([f"### {md.visible(title)}", "", md.visible(verdict), "", "| bundle | reports | result |", "| --- | --- | --- |", *rows]))
