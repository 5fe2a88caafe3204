"""`bundleops rollback --target prod --to previous|<commit>`: deploy the bundle as it was at an earlier deployment."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from bundleops import step
from bundleops.errors import BundleopsError, ExitCode
from bundleops.output import markdown as md

NAME = "rollback"
HELP = "put a shared target back to an earlier deployment (from its history and git), previewed and gated like a deploy"
DESCRIPTION = (
    "Reads the target's history in the workspace (`bundleops history`), picks the deployment to restore\n"
    "(--to previous: the last deployment of another commit than the current one; --to <commit>: the last\n"
    "deployment of that commit), checks that commit out of git (a temporary worktree: the CI checkout needs\n"
    "the history, not a shallow clone) and plans it against the workspace. --preview-only stops there: the\n"
    "plan is in the log and the job summary, for the approval. Otherwise it deploys that tree exactly as\n"
    "`bundleops deploy` does (prod guard, destructive changes need deploy.auto_approve, the lock rules) and\n"
    "appends a `rolled_back` entry to the history. Then it prints the `git revert` that undoes the same\n"
    "commits on the branch, so that the next push does not deploy them again.\n"
    "Exit codes: 0 rolled back (or previewed), 1 held back (destructive changes without opt-in), 2 bad input\n"
    "(no such deployment, commit not in the checkout, prod refused), 3 the deploy or the workspace failed."
)
EXAMPLE = "bundleops rollback --target prod --to previous --preview-only"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    step.add_target_argument(parser)
    parser.add_argument("--to", default="previous", metavar="previous|COMMIT",
                        help="`previous` (default): the last deployment of another commit; or the commit of an earlier deployment (7 to 40 hex digits)")
    parser.add_argument("--preview-only", action="store_true", help="show what the rollback changes and stop (read-only)")
    parser.add_argument("--plan-file", type=Path, default=None, metavar="PATH",
                        help="apply this reviewed plan (from --preview-only); stop if the workspace changed since it was made")


def run(args: argparse.Namespace) -> int:
    from bundleops.auth.client import for_bundle
    from bundleops.bundle_cli import for_step
    from bundleops.history import recording, store
    from bundleops.rollback import checkout
    from bundleops.rollback.choice import choose

    with step.begin(NAME, args, read_only=args.preview_only) as run:
        if run.target not in recording.SHARED_ROLES:
            raise BundleopsError(f"{run.target_label} keeps no history, so it has no deployment to roll back to",
                                 fix="roll back a shared target: --target staging or --target prod", code=ExitCode.BAD_INPUT)
        root = run.project_root.resolve()
        resolved = for_step(run).summary(root, str(run.bundle_target))
        client = for_bundle(resolved, retry_timeout_seconds=run.config.auth.retry_timeout_seconds)
        choice = choose(store.read(client, str((resolved.get("workspace") or {}).get("root_path"))), args.to, run.target_label)
        restored, replaced = str(choice.restore.commit), str(choice.current.commit)
        run.out.info(f"{run.target_label} runs {replaced[:12]} (deployed {choice.current.finished_at}); rolling back to {restored[:12]} "
                     f"(deployed {choice.restore.finished_at}, {choice.restore.title or 'no commit subject'})")
        with checkout.tree_at(root, restored) as tree:
            if args.preview_only:
                _preview(run, tree, restored, replaced)
            else:
                from bundleops.deploy.command import deploy_bundle

                deploy_bundle(run, tree, args.plan_file, replace(run.context, sha=restored), recording.Rollback(replaced))
        _tell_to_revert(run, restored, replaced, done=not args.preview_only)
    return int(ExitCode.OK)


def _preview(run: step.StepRun, tree: Path, restored: str, replaced: str) -> None:
    """The plan of the restored tree, shown and gated as the preview step shows a deploy's."""
    from bundleops import bundle_cli
    from bundleops.output.writers import report_dir
    from bundleops.preview import gate, limits, planning, render

    _, saved = planning.make_as_deployed(bundle_cli.for_step(run), tree, str(run.bundle_target), run.out,
                                         run.project_root.resolve() / report_dir() / f"rollback-plan-{run.bundle_target}.json")
    verdict = gate.judge(saved.plan, run.config.deploy.auto_approve)
    for line in render.text_lines(saved.plan):
        run.out.info(line)
    title = f"bundleops rollback of {md.code(run.target_label)}: {md.code(replaced[:12])} back to {md.code(restored[:12])}"
    run.out.summary(render.markdown(saved.plan, title=title, verdict=verdict.markdown(), limit=limits.SUMMARY_BYTES, plan_path=saved.path.name,
                                    where=limits.SUMMARY_PLACES.get(run.out.vendor, "the summary")).markdown)
    run.out.set_output("plan_file", str(saved.path))
    if verdict.held:
        raise verdict.error(run.target_label)


def _tell_to_revert(run: step.StepRun, restored: str, replaced: str, *, done: bool) -> None:
    from bundleops.rollback.checkout import revert_command

    command = revert_command(restored, replaced)
    said = "rolled back" if done else "after the rollback"
    run.out.warning(f"{said}: revert the same commits on the default branch too, or the next push deploys them again: {command}",
                    title="revert in git")
    block = "\n".join(md.fenced(command, info="sh"))
    run.out.summary(f"**Revert in git too**, or the next push to the default branch deploys the same change again:\n\n{block}\n")
