"""`bundle destroy`: delete the bundle's jobs and its whole workspace folder.

Without a terminal the real CLI refuses to destroy unless `--auto-approve` is given (the
stand-in never prompts, so it always behaves as without a terminal). The calls come in the real
CLI's order: read the resource state, check the deployment folder (none: it says so and
succeeds), lock, list what goes, get each job in the state (the plan), delete those that still
exist, delete `root_path` recursively (the lock with it), `Destroy: N deleted`.
"""

from __future__ import annotations

import argparse
import sys

from bundleops.localcli import jobs, lock, plan as planning, state, sync, wsfs
from bundleops.localcli.context import Context
from bundleops.localcli.deploy import DATA_LOSS_WARNING, say
from bundleops.localcli.diagnostics import CliError


def run_destroy(context: Context, args: argparse.Namespace) -> int:
    bundle = context.bundle
    bundle.diagnostics.print(sys.stderr)
    if bundle.diagnostics.has_errors:
        return 1
    if not args.auto_approve:
        raise CliError(
            "this command will destroy all resources deployed by this bundle, including workspace files in the deployment directory.\n"
            f"{DATA_LOSS_WARNING}\nTo proceed, use --auto-approve."
        )
    workspace = bundle.workspace
    deployed = state.load(context.client, workspace["state_path"]).job_ids()
    if not wsfs.exists(context.client, workspace["root_path"]):
        say("No active deployment found to destroy!")
        return 0
    held = None
    if bundle.lock_enabled:
        held = lock.acquire(context.client, workspace["state_path"], context.user_name, force=args.force_lock or bundle.lock_forced)
    try:
        existing = [key for key in sorted(deployed) if jobs.exists(context.client, deployed[key])]
        planning.check_prevent_destroy(planning.Plan(entries={f"resources.jobs.{key}": planning.Entry(action="delete") for key in existing}), bundle.jobs)
        if deployed:
            say("The following resources will be deleted:")
            for key in sorted(deployed):
                say(f"  delete resources.jobs.{key}")
            say("")
        say(f"All files and directories at the following location will be deleted: {workspace['root_path']}")
        say("")
        for key in existing:
            jobs.delete(context.client, deployed[key])
        wsfs.delete(context.client, workspace["root_path"], recursive=True)
        sync.forget(bundle.root, bundle.target, str(context.client.config.host), workspace["file_path"])
    finally:
        if held is not None:
            lock.release(held)
    say(f"Destroy: {len(deployed)} deleted")
    return 0
