"""`bundleops history --target T [--format table|json|md] [--dora [--since 90d]]`: what was deployed, and DORA's figures."""

from __future__ import annotations

import argparse
import contextlib
import sys
from datetime import datetime, timezone

from bundleops import step
from bundleops.errors import BundleopsError, ExitCode

NAME = "history"
HELP = "list a shared target's deployments (from its history in the workspace) and compute DORA's four figures"
DESCRIPTION = (
    "Every deploy of a shared target (staging, prod) appends an entry to <root_path>/bundleops/history/ in\n"
    "the workspace: commit and its time, pull request, author, CI run, the plan's tally, outcome (deployed,\n"
    "failed, rolled_back) and the post-deploy test's result. This lists them, oldest first.\n"
    "--format json follows the schema in docs/history.md: each deployment shaped as Apache DevLake's webhook\n"
    "deployment (and what Four Keys keeps), with bundleops' entry under `bundleops`.\n"
    "--dora prints deployment frequency, median lead time for changes, change failure rate and median time\n"
    "to restore over --since (default 90d), each with what it was computed from. Reads only.\n"
    "Exit codes: 0 listed, 2 bad input or configuration, 3 the workspace could not be read."
)
EXAMPLE = "bundleops history --target prod --dora --since 30d"
FORMATS = ("table", "json", "md")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    step.add_target_argument(parser)
    parser.add_argument("--format", choices=FORMATS, default="table", help="table (default), json (docs/history.md), md (Markdown)")
    parser.add_argument("--dora", action="store_true", help="print DORA's four figures instead of the list")
    parser.add_argument("--since", default="90d", metavar="AGE", help="with --dora: the window, back from now: 30m, 12h, 30d, 12w (default: 90d)")


def run(args: argparse.Namespace) -> int:
    from bundleops.auth.client import for_bundle
    from bundleops.bundle_cli import for_step
    from bundleops.deployments.age import parse_duration
    from bundleops.history import dora, recording, render, store

    window = parse_duration(args.since, "--since")
    # The listing owns stdout (a pipe to jq, a file); the step's log goes to stderr.
    with contextlib.redirect_stdout(sys.stderr), step.begin(NAME, args) as run:
        if run.target not in recording.SHARED_ROLES:
            raise BundleopsError(f"{run.target_label} keeps no history: only shared targets do ({', '.join(recording.SHARED_ROLES)})",
                                 fix="pass --target staging or --target prod", code=ExitCode.BAD_INPUT)
        resolved = for_step(run).summary(run.project_root.resolve(), str(run.bundle_target))
        client = for_bundle(resolved, retry_timeout_seconds=run.config.auth.retry_timeout_seconds)
        history = store.read(client, str((resolved.get("workspace") or {}).get("root_path")))
        for path in history.unreadable:
            store.warn_unreadable(run.out, path)
        bundle = str((resolved.get("bundle") or {}).get("name"))
        if args.dora:
            now = datetime.now(timezone.utc)
            figures = dora.compute(history.entries, now - window, now)
            listing = {"table": render.dora_text, "json": render.dora_json, "md": render.dora_markdown}[args.format](figures)
            run.out.summary(render.dora_markdown(figures))
        else:
            listing = {"table": lambda: render.table(history.entries), "json": lambda: render.as_json(bundle, run.target_label, history.entries),
                       "md": lambda: render.markdown(bundle, run.target_label, history.entries)}[args.format]()
            run.out.info(f"{len(history.entries)} deploy(s) of {run.target_label} in its history ({history.folder})")
    print(listing)
    return int(ExitCode.OK)
