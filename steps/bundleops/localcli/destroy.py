"""`bundle destroy`: delete the bundle's resources (every kind in kinds.py) and its whole workspace folder.

Without a terminal the real CLI refuses to destroy unless `--auto-approve` is given (the
stand-in never prompts, so it always behaves as without a terminal). The calls come in the real
CLI's order: read the resource state, check the deployment folder (none: it says so and
succeeds), lock, read each resource in the state (the plan), list what goes with the real CLI's
approval texts for schemas, pipelines and volumes (`destroyApprovalGroups`), delete those that
still exist (a schema with `force=true`), delete `root_path` recursively (the lock with it),
`Destroy: N deleted`.
"""

from __future__ import annotations

import argparse
import sys

from bundleops.localcli import kinds, lock, plan as planning, state, sync, wsfs
from bundleops.localcli.context import Context
from bundleops.localcli.deploy import DATA_LOSS_WARNING, approval_groups, say
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
    deployed = state.load(context.client, workspace["state_path"])
    if not wsfs.exists(context.client, workspace["root_path"]):
        say("No active deployment found to destroy!")
        return 0
    held = None
    if bundle.lock_enabled:
        held = lock.acquire(context.client, workspace["state_path"], context.user_name, force=args.force_lock or bundle.lock_forced)
    try:
        plan = _plan(context, deployed)
        planning.check_prevent_destroy(plan, bundle.config)
        if plan.entries:
            say("The following resources will be deleted:")
            for resource in sorted(plan.entries):
                say(f"  delete {resource}")
            say("")
        # The real CLI lists pipelines after the other groups (logPipelineDeleteApproval).
        approval_groups(plan, {name: kinds.KINDS[name].destroy_approval for name in ("schemas", "volumes", "pipelines")}, ("delete",), trailing_newline=True)
        say(f"All files and directories at the following location will be deleted: {workspace['root_path']}")
        say("")
        for resource, entry in sorted(plan.entries.items()):
            if not entry.gone:
                kinds.of(resource).delete(context.client, deployed.ids(resource.split(".")[1])[resource.split(".")[2]])
        wsfs.delete(context.client, workspace["root_path"], recursive=True)
        sync.forget(bundle.root, bundle.target, str(context.client.config.host), workspace["file_path"])
    finally:
        if held is not None:
            lock.release(held)
    say(f"Destroy: {len(plan.entries)} deleted")
    return 0


def _plan(context: Context, deployed: state.DeploymentState) -> planning.Plan:
    """A delete per resource in the state; `gone` where it no longer exists (read once, as the real CLI plans)."""
    entries = {}
    for kind in kinds.ORDER:
        for key, resource_id in sorted(deployed.ids(kind).items()):
            entries[f"resources.{kind}.{key}"] = planning.Entry(action="delete", gone=kinds.KINDS[kind].read(context.client, resource_id) is None)
    return planning.Plan(entries=entries)
