"""`bundleops preview --target T`: what the deploy will change, before it changes anything."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bundleops import step
from bundleops.errors import ExitCode

NAME = "preview"
HELP = "databricks bundle plan -o json: the change summary in the job summary and the pull request; destructive changes flagged"
DESCRIPTION = (
    "Runs `databricks bundle plan -t T -o json` (with the deploy's --var flags) and writes the plan to\n"
    "test-results/bundle-plan.json (or --plan-file). Prints the changes (per resource the fields that\n"
    "change, old -> new; secrets and long values elided), writes them to the CI's job summary, and to a\n"
    "pull-request comment where the CI offers one through its own token (GitHub GITHUB_TOKEN, GitLab\n"
    "BUNDLEOPS_GITLAB_TOKEN, Azure SYSTEM_ACCESSTOKEN, Bitbucket BUNDLEOPS_BITBUCKET_TOKEN), edited in place.\n"
    "A delete or recreate of any resource needs deploy.auto_approve: true in bundleops.yml.\n"
    "`bundleops deploy --target prod --plan-file FILE` then applies exactly this plan.\n"
    "Exit codes: 0 planned, 1 the plan deletes or recreates resources without the opt-in, 2 bad\n"
    "configuration or credentials, 3 the CLI or the workspace failed."
)
EXAMPLE = "bundleops preview --target staging --project-root steps/bundleops/shipped/examples/orders_pipeline"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    step.add_target_argument(parser)
    parser.add_argument("--plan-file", type=Path, default=None, metavar="PATH",
                        help="where to write the plan JSON (default: test-results/bundle-plan.json)")


def run(args: argparse.Namespace) -> int:
    from bundleops import bundle_cli
    from bundleops.output.writers import report_dir
    from bundleops.preview import gate, planning, publish

    with step.begin(NAME, args) as run:
        cli = bundle_cli.for_step(run)
        root = run.project_root.resolve()
        _, saved = planning.make_as_deployed(cli, root, run.bundle_target, run.out, args.plan_file or root / report_dir() / planning.PLAN_FILE)
        verdict = gate.judge(saved.plan, run.config.deploy.auto_approve)
        publish.show(run, saved, verdict, os.environ)
        run.out.set_output("plan_file", str(saved.path))
        if verdict.held:
            raise verdict.error(run.target_label)
    return int(ExitCode.OK)
