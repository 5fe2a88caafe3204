"""`bundleops deploy --target T`: `databricks bundle deploy` with the lock and destructive changes
handled as a team needs, and a deployment record."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from bundleops import bundle_cli, step
from bundleops.bundle_cli import CliResult, DatabricksCli
from bundleops.deploy import same_version
from bundleops.deployments import naming
from bundleops.context import CIContext
from bundleops.errors import BundleopsError, ExitCode
from bundleops.history.recording import Rollback, keeps_history
from bundleops.output import markdown as md

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from bundleops.deploy.leftover import LockStatus
    from bundleops.deploy.record import DeploymentRecord
    from bundleops.history.entry import HistoryEntry

NAME = "deploy"
HELP = "databricks bundle deploy + lock takeover rules + a deployment record (test-results/deployment-<bundle target>.json)"
DESCRIPTION = (
    "Runs `databricks bundle deploy -t T`. A lock held by another deploy is reported with its holder and\n"
    "age; one older than deploy.lock_takeover_minutes (a killed CI job leaves its lock behind) is taken\n"
    "over with --force-lock, loudly. It plans first (`databricks bundle plan -o json`): deleting or\n"
    "recreating any resource needs the project's opt-in, deploy.auto_approve: true in bundleops.yml;\n"
    "otherwise the deploy stops and lists them. With --plan-file (the plan `bundleops preview` showed\n"
    "at the approval) the deploy checks that the workspace has not changed since and applies exactly\n"
    "that plan (`databricks bundle deploy --plan`, direct engine); a changed workspace stops it.\n"
    "Writes the deployment record (commit, PR, author, run URL, bundle, target, job ids, CLI version,\n"
    "UTC time) to test-results/deployment-<bundle target>.json and the job summary.\n"
    "A bundle that declares the variable bundleops_version gets this bundleops' version (--var), and\n"
    "one whose job environment names a wheel under .bundleops/wheels/ gets the wheel of the running\n"
    "bundleops written there first, so the test job in the workspace runs the same version.\n"
    "After the CLI ends (done, failed, stopped at deploy.timeout_minutes, or cancelled: SIGTERM/SIGINT are\n"
    "forwarded to it), the lock is checked: one this deploy's CLI left behind is deleted, and a lock that\n"
    "cannot be is reported with the command that clears it.\n"
    "Exit codes: 0 deployed, 1 held back (destructive changes without opt-in; plan out of date), 2 bad configuration or\n"
    "credentials, 3 the deploy failed, timed out or was cancelled, or the lock is held by a running deploy."
)
EXAMPLE = "bundleops deploy --target prod --plan-file test-results/bundle-plan.json --project-root steps/bundleops/shipped/examples/orders_pipeline"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    step.add_target_argument(parser)
    parser.add_argument("--plan-file", type=Path, default=None, metavar="PATH",
                        help="apply this reviewed plan (from `bundleops preview`); stop if the workspace changed since it was made")


def run(args: argparse.Namespace) -> int:
    with step.begin(NAME, args) as run:
        deploy_bundle(run, run.project_root.resolve(), args.plan_file, run.context)
    return int(ExitCode.OK)


def deploy_bundle(run: step.StepRun, root: Path, plan_file: Path | None, context: CIContext, rollback: Rollback | None = None) -> DeploymentRecord:
    """Deploy the bundle in `root` as the deploy step does (a rollback passes the restored commit's tree and context),
    write its record, and append it to a shared target's history: deployed, rolled back, or failed."""
    from bundleops.auth.policy import Identity, check_identity
    from bundleops.deploy.record import DeploymentRecord
    from bundleops.output.writers import report_dir
    from bundleops.preview.apply import plan_for_deploy

    cli = bundle_cli.for_step(run)
    deployment = bundle_cli.run_deployment(run)
    before = cli.summary(root, run.bundle_target)
    if deployment:
        run.out.info(f"pull-request deployment {deployment.id}: {naming.check_resolved_root(before, deployment)}")
    deployer = Identity.of_bundle(before)
    check_identity(deployer, run.target, run.config)
    variables = same_version.prepare(before, root, run.out)  # the same --var flags go to the plan and the deploy
    flags = variables + plan_for_deploy(run, cli, root, variables, plan_file) + (["--auto-approve"] if run.config.deploy.auto_approve else [])
    recorded = keeps_history(run.target, deployment is not None)  # a shared target: its history gets this deploy
    started = datetime.now(timezone.utc)
    result = _deploy(run, cli, root, flags)
    if result.returncode != 0 and not result.stopped:
        result = _retry_after_stale_lock(run, cli, root, flags, result)
    lock = _check_lock(run, before, deployer.user_name, started)
    stopped = result.stop_error("raise deploy.timeout_minutes in bundleops.yml if the deploy needs longer; otherwise look at where the CLI's output above stopped")
    if stopped or result.returncode != 0:
        if recorded:
            _append_to_history(run, root, before, DeploymentRecord.build(before, run.target_ref, context, cli.version_text), "failed", started, rollback)
        if stopped:
            raise BundleopsError(f"{stopped.message}; {lock.sentence}", fix=stopped.fix, code=stopped.code)
        raise _failure(run, result.stderr, lock, plan_file)
    if lock.left:
        run.out.warning(lock.sentence, title="deploy lock left behind")
    after = cli.summary(root, run.bundle_target)
    record = DeploymentRecord.build(after, run.target_ref, context, cli.version_text, deployment.id if deployment else None)
    path = record.write(run.project_root.resolve() / report_dir())
    if deployment:
        run.out.info(f"deployment record in the workspace: {_store_record(run, after, record)}")
    if recorded:
        _append_to_history(run, root, after, record, "rolled_back" if rollback else "deployed", started, rollback)
    run.out.summary(record.markdown())
    run.out.set_output("deployment_record", str(path))
    run.out.info(f"deployed {record.bundle} to {run.target_label}: "
                 + ", ".join(f"{key if kind == 'jobs' else f'{kind}.{key}'}={resource.get('id')}" for kind, key, resource in record.deployed()))
    run.out.info(f"deployment record: {path}")
    return record


def _append_to_history(run: step.StepRun, root: Path, resolved: dict, record: DeploymentRecord, outcome: str, started: datetime,
                       rollback: Rollback | None) -> None:
    """The deploy's entry in the target's history (bundleops.history.recording), with the tally of the plan it deployed."""
    from bundleops.auth.client import for_bundle
    from bundleops.history import recording
    from bundleops.preview.apply import deploy_plan_path
    from bundleops.preview.planning import load

    plan_file = deploy_plan_path(run.project_root.resolve(), run.bundle_target)
    counts = load(plan_file).counts() if plan_file.is_file() else None
    finished = datetime.now(timezone.utc)

    def make(previous_commit: str | None) -> HistoryEntry:
        return recording.entry_of(record, outcome, started, finished, root, counts, previous_commit, rollback.replaces if rollback else None)

    client = for_bundle(resolved, retry_timeout_seconds=run.config.auth.retry_timeout_seconds)
    recording.append(client, str((resolved.get("workspace") or {}).get("root_path")), make, run.out)


def _store_record(run: step.StepRun, resolved: dict, record: DeploymentRecord) -> str:
    """A pull-request deployment's record goes into its workspace folder too: destroy and the sweep read it there."""
    from bundleops.auth.client import for_bundle
    from bundleops.deployments import store

    client = for_bundle(resolved, retry_timeout_seconds=run.config.auth.retry_timeout_seconds)
    return store.write_record(client, str((resolved.get("workspace") or {}).get("root_path")), record.to_dict())


def _deploy(run: step.StepRun, cli: DatabricksCli, root: Path, flags: list[str]) -> CliResult:
    """`databricks bundle deploy`, stopped after deploy.timeout_minutes."""
    return cli.bundle(["deploy", "-t", run.bundle_target, *flags], root, time_limit=run.config.deploy.timeout_minutes * 60)


def _check_lock(run: step.StepRun, resolved: dict, deployer: str, cli_started: datetime) -> LockStatus:
    """Whether the deploy lock outlived the CLI (deleted when it was this deploy's); said in the log."""
    from bundleops.auth.client import for_bundle
    from bundleops.deploy import leftover

    def client() -> WorkspaceClient:
        return for_bundle(resolved, retry_timeout_seconds=run.config.auth.retry_timeout_seconds)

    status = leftover.check(client, str((resolved.get("workspace") or {}).get("state_path")), run.bundle_target, deployer, cli_started)
    run.out.info(status.sentence)
    return status


def _retry_after_stale_lock(run: step.StepRun, cli: DatabricksCli, root: Path, flags: list[str], failed: CliResult) -> CliResult:
    """A lock left by a killed deploy is taken over; a young one means a deploy is running: stop."""
    from bundleops.deploy.lock import held_lock, is_stale

    lock = held_lock(failed.stderr)
    if lock is None:
        return failed
    minutes = run.config.deploy.lock_takeover_minutes
    if not is_stale(lock, minutes):
        raise BundleopsError(
            f"the deploy lock of {run.target_label} is {lock.describe()}: another deployment is probably running",
            fix=f"wait for it and re-run this job; a lock older than {minutes} min (deploy.lock_takeover_minutes) is taken over "
            f"automatically. If no deploy of {run.target_label} is running (a killed job left the lock), "
            f"run `databricks bundle deploy -t {run.bundle_target} --force-lock` in the project folder with the same credentials",
            code=ExitCode.EXTERNAL_FAILURE,
        )
    run.out.warning(f"TAKING OVER the deploy lock of {run.target_label}, {lock.describe()}: older than {minutes} min, so left by a killed deploy; deploying with --force-lock", title="deploy lock taken over")
    run.out.summary(f"> [!WARNING]\n> The deploy lock of {md.code(run.target_label)} ({md.code(lock.describe())}) was taken over with --force-lock.\n")
    return _deploy(run, cli, root, ["--force-lock", *flags])


def _failure(run: step.StepRun, stderr: str, lock: LockStatus, plan_file: Path | None) -> BundleopsError:
    """The CLI failed: a reviewed plan it found stale (another deploy landed after bundleops' check) is PlanOutOfDate."""
    from bundleops.preview.staleness import refused_by_cli

    stale = refused_by_cli(stderr, str(plan_file)) if plan_file else None
    return stale or BundleopsError(f"`databricks bundle deploy -t {run.bundle_target}` failed (its diagnostics are above); {lock.sentence}",
                                   fix="fix what the CLI reported, then re-run", code=ExitCode.EXTERNAL_FAILURE)
