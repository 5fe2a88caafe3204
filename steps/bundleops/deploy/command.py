"""`bundleops deploy --target T`: `databricks bundle deploy` with the lock and destructive changes
handled as a team needs, and a deployment record."""

from __future__ import annotations

import argparse
from pathlib import Path

from bundleops import bundle_cli, step
from bundleops.bundle_cli import CliResult, DatabricksCli
from bundleops.deploy import same_version
from bundleops.errors import BundleopsError, ExitCode

NAME = "deploy"
HELP = "databricks bundle deploy + lock takeover rules + a deployment record (test-results/deployment-<bundle target>.json)"
DESCRIPTION = (
    "Runs `databricks bundle deploy -t T`. A lock held by another deploy is reported with its holder and\n"
    "age; one older than deploy.lock_takeover_minutes (a killed CI job leaves its lock behind) is taken\n"
    "over with --force-lock, loudly. Destructive changes (deletions, recreations) need the project's\n"
    "opt-in, deploy.auto_approve: true in bundleops.yml; otherwise the deploy stops and lists them.\n"
    "Writes the deployment record (commit, PR, author, run URL, bundle, target, job ids, CLI version,\n"
    "UTC time) to test-results/deployment-<bundle target>.json and the job summary.\n"
    "A bundle that declares the variable bundleops_version gets this bundleops' version (--var), and\n"
    "one whose job environment names a wheel under .bundleops/wheels/ gets the wheel of the running\n"
    "bundleops written there first, so the test job in the workspace runs the same version.\n"
    "Exit codes: 0 deployed, 1 held back (destructive changes without opt-in), 2 bad configuration or\n"
    "credentials, 3 the deploy failed or the lock is held by a running deploy."
)
EXAMPLE = "bundleops deploy --target staging --project-root examples/orders_pipeline"

DESTRUCTIVE = "the deployment requires destructive actions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    step.add_target_argument(parser)


def run(args: argparse.Namespace) -> int:
    from bundleops.auth.policy import Identity, check_identity
    from bundleops.deploy.record import DeploymentRecord
    from bundleops.output.writers import report_dir

    with step.begin(NAME, args) as run:
        cli = bundle_cli.for_step(run)
        root = run.project_root.resolve()
        before = cli.summary(root, run.bundle_target)
        check_identity(Identity.of_bundle(before), run.target, run.config)
        flags = same_version.prepare(before, root, run.out) + (["--auto-approve"] if run.config.deploy.auto_approve else [])
        result = cli.bundle(["deploy", "-t", run.bundle_target, *flags], root)
        if result.returncode != 0:
            result = _retry_after_stale_lock(run, cli, root, flags, result)
        if result.returncode != 0:
            return _explain_failure(run, result.stderr)
        record = DeploymentRecord.build(cli.summary(root, run.bundle_target), run.target_ref, run.context, cli.version_text)
        path = record.write(root / report_dir())
        run.out.summary(record.markdown())
        run.out.set_output("deployment_record", str(path))
        run.out.info(f"deployed {record.bundle} to {run.target_label}: " + ", ".join(f"{key}={job.get('id')}" for key, job in record.jobs.items()))
        run.out.info(f"deployment record: {path}")
    return int(ExitCode.OK)


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
            fix=f"wait for it and re-run this job; a lock older than {minutes} min (deploy.lock_takeover_minutes) is taken over automatically",
            code=ExitCode.EXTERNAL_FAILURE,
        )
    run.out.warning(f"TAKING OVER the deploy lock of {run.target_label}, {lock.describe()}: older than {minutes} min, so left by a killed deploy; deploying with --force-lock", title="deploy lock taken over")
    run.out.summary(f"> [!WARNING]\n> The deploy lock of {run.target_label} ({lock.describe()}) was taken over with --force-lock.\n")
    return cli.bundle(["deploy", "-t", run.bundle_target, "--force-lock", *flags], root)


def _explain_failure(run: step.StepRun, stderr: str) -> int:
    if DESTRUCTIVE in stderr:
        actions = [line.strip() for line in stderr.splitlines() if line.startswith("  ") and line.strip().split(" ")[0] in ("delete", "recreate")]
        run.out.error(
            f"the deploy to {run.target_label} would " + "; ".join(actions or ["delete or recreate resources"]) + ". Nothing was changed.",
            title="destructive changes held back",
        )
        run.out.info("fix: review these changes; if they are intended, opt in with `deploy: {auto_approve: true}` in bundleops.yml")
        return int(ExitCode.CHECK_FAILED)
    raise BundleopsError(f"`databricks bundle deploy -t {run.bundle_target}` failed (its diagnostics are above)", fix="fix what the CLI reported; the deploy lock was released by the CLI", code=ExitCode.EXTERNAL_FAILURE)
