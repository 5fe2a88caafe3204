"""`bundleops drift --target T [--reconcile]`: what was changed in the workspace outside a deploy."""

from __future__ import annotations

import argparse
import os

from bundleops import step
from bundleops.errors import ExitCode

NAME = "drift"
HELP = "compare the workspace with the last deploy: UI edits and deletions made outside a deploy (reads only); --reconcile deploys this checkout over them"
DESCRIPTION = (
    "Runs `databricks bundle plan -t T -o json` (direct engine, with the deploy's --var flags) against the\n"
    "deployed state and reads it per resource and field: changed in the workspace (a UI edit: deployed\n"
    "value -> workspace value), deleted in the workspace (told from a resource new in the checkout by the\n"
    "target's history, <root_path>/bundleops/history/), and what this checkout would change (not deployed\n"
    "yet: not drift). Writes the log, the job summary and test-results/drift-<bundle target>.json; on GitHub\n"
    "(GITHUB_TOKEN, issues: write) and GitLab (BUNDLEOPS_GITLAB_TOKEN) one issue per bundle and target is\n"
    "opened on drift, updated by later runs and closed when the drift is gone. Reads only: allowed for prod\n"
    "from a developer's shell and from a scheduled run of the default branch (docs/drift.md).\n"
    "--reconcile prints the report, then deploys this checkout (the default branch) as `bundleops deploy`\n"
    "does, through the prod guard and the approval: refused from a shell, allowed from a manual run.\n"
    "Exit codes: 0 no drift (with --reconcile: reconciled), 1 drift found, 2 bad input or configuration\n"
    "(a terraform-engine bundle), 3 the CLI or the workspace failed."
)
EXAMPLE = "bundleops drift --target prod"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    step.add_target_argument(parser)
    parser.add_argument("--reconcile", action="store_true",
                        help="after the report, deploy this checkout over the workspace's changes (a deploy: the prod guard and approval apply)")


def run(args: argparse.Namespace) -> int:
    from bundleops.deploy.command import deploy_bundle
    from bundleops.drift import check, publish

    with step.begin(NAME, args, read_only=not args.reconcile) as run:
        root = run.project_root.resolve()
        checked = check.check(run, root)
        publish.show(run, checked)
        if not args.reconcile:
            publish.to_issue(run, checked, os.environ, drifted=checked.drift.drifted,
                             closing=f"No drift found any more{_by(run)}: the workspace matches the last deploy.")
            return int(ExitCode.CHECK_FAILED if checked.drift.drifted else ExitCode.OK)
        if not checked.drift.findings:
            run.out.info(f"nothing to reconcile: {run.target_label} matches this checkout")
        else:
            run.out.info(f"reconciling {run.target_label}: deploying this checkout over the changes above")
            record = deploy_bundle(run, root, None, run.context)
            run.out.info(f"reconciled: {run.target_label} now runs commit {(record.commit or '-')[:12]}, as deployed by this run")
        publish.to_issue(run, checked, os.environ, drifted=False,
                         closing=f"Reconciled{_by(run)}: this checkout was deployed over the workspace's changes.")
    return int(ExitCode.OK)


def _by(run: step.StepRun) -> str:
    """` by <run URL>` for the issue's closing comment (Markdown: the URL as code)."""
    from bundleops.output import markdown as md

    return f" by {md.code(run.context.run_url)}" if run.context.run_url else ""
