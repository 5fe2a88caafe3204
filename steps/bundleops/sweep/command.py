"""`bundleops sweep --target staging --older-than 7d`: destroy the pull-request deployments an event missed."""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from bundleops import step
from bundleops.deployments import naming
from bundleops.errors import BundleopsError, ExitCode
from bundleops.output import markdown as md

if TYPE_CHECKING:
    from bundleops.bundle_cli import DatabricksCli
    from bundleops.deployments.age import Decision

NAME = "sweep"
HELP = "destroy pull-request deployments older than an age, or replaced by a newer one of the same pull request"
DESCRIPTION = (
    "Lists the folders under the target's pull-request folder (<shared root>-pull-requests/) and reads\n"
    "each one's deployment record (bundleops/deployment.json, written by `bundleops deploy`). A deployment\n"
    "deployed longer ago than --older-than, or replaced by a newer deployment of the same pull request, is\n"
    "destroyed with `databricks bundle destroy`, one after the other. A folder without a record of ours is\n"
    "left alone, and the shared deployment is never a candidate. --dry-run reports without destroying.\n"
    "Runs from a scheduled pipeline (docs/pull-request-deployments.md has one per CI system); it covers\n"
    "pull requests whose CI gives no close event, and close jobs that failed. --project-root a repository of\n"
    "bundles (docs/monorepo.md) sweeps every bundle of it, each as its own `bundleops sweep`.\n"
    "Exit codes: 0 swept, 2 bad input or configuration, 3 a destroy or a workspace call failed (the others still ran)."
)
EXAMPLE = "bundleops sweep --target staging --older-than 7d --dry-run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    step.add_target_argument(parser)
    parser.add_argument("--older-than", default="7d", metavar="AGE", help="age of a deployment record past which it goes: 30m, 12h, 7d, 2w (default: 7d)")
    parser.add_argument("--dry-run", action="store_true", help="report what would be removed, remove nothing")


def run(args: argparse.Namespace) -> int:
    from bundleops import bundle_cli
    from bundleops.deployments import age
    from bundleops.run.command import parallel
    from bundleops.run.fan_out import JobRequest, holds_bundles_below, run_selected

    older_than = age.parse_duration(args.older_than)
    if holds_bundles_below(args.project_root):
        # A repository of bundles: each bundle's pull-request deployments live under its own root.
        options = ("--older-than", args.older_than, *(("--dry-run",) if args.dry_run else ()))
        request = JobRequest("sweep", args.target or "staging", sweep_options=options)
        return run_selected(request, args.project_root, parallel(), select_all=True)
    with step.begin(NAME, args) as run:
        naming.require_role(run.target, run.target_label, NAME)
        root = run.project_root.resolve()
        cli = replace(bundle_cli.for_step(run), variables=())  # the shared deployment tells where its pull requests live
        folder, decisions = _survey(run, cli, root, older_than)
        doomed = [decision for decision in decisions if decision.remove]
        removed, failures = ([], []) if args.dry_run else _remove(run, cli, root, folder, doomed)
        run.out.summary(markdown(folder, decisions, removed, args.dry_run))
        names = [decision.found.name for decision in doomed] if args.dry_run else removed
        run.out.info(f"sweep {'would remove' if args.dry_run else 'removed'} {len(names)} pull-request deployment(s): {', '.join(names) or '-'}")
        if failures:
            raise BundleopsError(f"the sweep could not destroy {', '.join(failures)} (errors above)", fix="fix what is named above and run the sweep again",
                                 code=ExitCode.EXTERNAL_FAILURE)
    return int(ExitCode.OK)


def _survey(run: step.StepRun, cli: DatabricksCli, root: Path, older_than: timedelta) -> tuple[str, list[Decision]]:
    """The target's pull-request folder and a decision, with its reason, for every folder in it (logged)."""
    from bundleops.auth.client import for_bundle
    from bundleops.deployments import age, store

    resolved = cli.summary(root, str(run.bundle_target))
    folder = naming.pull_request_folder(str((resolved.get("workspace") or {}).get("root_path")))
    client = for_bundle(resolved, retry_timeout_seconds=run.config.auth.retry_timeout_seconds)
    decisions = age.decide(store.list_deployments(client, folder), datetime.now(timezone.utc), older_than)
    run.out.info(f"{len(decisions)} folder(s) under {folder}")
    for decision in decisions:
        run.out.info(f"  {'remove' if decision.remove else 'keep  '} {decision.found.name}: {decision.reason}")
    return folder, decisions


def _remove(run: step.StepRun, cli: DatabricksCli, root: Path, folder: str, doomed: list[Decision]) -> tuple[list[str], list[str]]:
    """Destroy each one, going on after a failure; (removed, failed) names.

    How the bundle resolves a pull-request deployment is checked once, on the first: every
    deployment resolves the same way, and a mistake there stops the sweep before it deletes anything.
    """
    from bundleops.deployments.naming import Deployment
    from bundleops.deployments.teardown import destroy, resolved_root

    if doomed:
        expected = f"{folder}/{doomed[0].found.name}"
        if resolved_root(cli, root, str(run.bundle_target), Deployment(doomed[0].found.name)) != expected:
            raise BundleopsError(f"the bundle does not resolve the pull-request deployment {doomed[0].found.name} to {expected}: nothing was removed",
                                 fix="check the staging target's workspace.root_path against docs/pull-request-deployments.md")
    removed: list[str] = []
    failures: list[str] = []
    for decision in doomed:
        try:
            destroy(cli, root, str(run.bundle_target), Deployment(decision.found.name), run.config.deploy.timeout_minutes * 60, run.out,
                    root=decision.found.root_path)
            removed.append(decision.found.name)
        except BundleopsError as error:
            run.out.error(f"{decision.found.name}: {error.message}", title="sweep: destroy failed")
            failures.append(decision.found.name)
    return removed, failures


def _outcome(decision: Decision, removed: list[str], dry_run: bool) -> str:
    if not decision.remove:
        return "kept"
    if dry_run:
        return "would remove"
    return "removed" if decision.found.name in removed else "failed"


def markdown(folder: str, decisions: list[Decision], removed: list[str], dry_run: bool) -> str:
    rows = "\n".join(f"| {md.code(d.found.name, cell=True)} | {_outcome(d, removed, dry_run)} | {md.code(d.reason, cell=True)} |" for d in decisions)
    return f"### bundleops sweep of {md.code(folder)}\n\n| deployment | outcome | why |\n|---|---|---|\n{rows or '| - | - | nothing there |'}\n"
