"""`bundle deploy [--plan FILE]`: lock, sync files, plan, approve, apply per resource kind, state, unlock.

The order of the REST calls follows the real CLI's direct engine (see docs/cli-standin.md,
"Requests"): read the resource state and `deployment.json` (and, when asked, check for active
runs), build the artifacts (`Building <name>...`), lock (not in development mode), clean `<artifact_path>/.internal`, upload libraries and built files,
`Uploading bundle files to ...`, write `deployment.json`, plan against the state (a read per
known resource; with `--plan FILE` the saved plan instead, checked against the state before
anything is written), approve, apply in dependency order (kinds.py says how per kind: a schema
before the volume and pipeline that write into it, a recreate as delete then create), state and
metadata upload, lock release (also on failure). A resource whose key is in the state is updated
in place, never created twice; job and pipeline permissions are sent only for those that declare some.
Deleting or recreating a schema, pipeline or volume needs approval as the real CLI's
`deployApprovalGroups` ask it: each group's text and its actions are listed, and without
`--auto-approve` (the stand-in never prompts, as without a terminal) the deploy stops with the
real CLI's error before anything is applied. Deleting a job needs none, and a resource with
`lifecycle.prevent_destroy: true` is never deleted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from bundleops.localcli import artifacts, deployment_file, grants, jobs, kinds, libraries, lock, permissions, plan as planning, state, sync
from bundleops.localcli.context import Context
from bundleops.localcli.diagnostics import CliError

DATA_LOSS_WARNING = (
    "Deleting data assets such as schemas, pipelines, or volumes may cause permanent data loss and should be carefully reviewed."
)
NO_PROMPT = ("the deployment requires destructive actions, but the current console does not support prompting.\n"
             f"{DATA_LOSS_WARNING}\nTo proceed, use --auto-approve after reviewing the plan above.")


def say(text: str) -> None:
    """Progress and results go to stderr, as the real CLI logs them."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def creation_order(refs: dict[str, set[str]]) -> list[str]:
    """Resource keys ordered so each comes after every resource it depends on."""
    order: list[str] = []
    pending = dict(refs)
    while pending:
        ready = sorted(key for key, needs in pending.items() if needs <= set(order))
        if not ready:
            raise CliError(f"cycle in ${{resources.<kind>.<key>.id}} references between resources: {', '.join(sorted(pending))}")
        order.extend(ready)
        for key in ready:
            pending.pop(key)
    return order


def _refs(plan: planning.Plan) -> dict[str, set[str]]:
    """Resource key -> the resources it depends on, for those the plan creates, updates or keeps."""
    refs = {}
    for resource, entry in plan.entries.items():
        if len(resource.split(".")) == 3 and entry.action != "delete":
            needed = {".".join(dependency["node"].split(".")[:3]) for dependency in entry.depends_on}
            refs[resource] = needed - {resource}
    return {key: needs & set(refs) for key, needs in refs.items()}


def approval_groups(plan: planning.Plan, messages: Mapping[str, str], actions: tuple[str, ...], trailing_newline: bool = False) -> int:
    """Print each approval group's text and its destructive actions, in the order of `messages` (the real
    CLI's logApprovalGroups); how many."""
    total = 0
    for group in messages:
        matched = [key for key in sorted(plan.entries) if key.split(".")[1] == group
                   and plan.entries[key].action in actions and not plan.entries[key].gone]
        if not matched:
            continue
        total += len(matched)
        say(messages[group])
        for key in matched:
            if not (group == "schemas" and len(key.split(".")) > 3):  # the schemas group skips its children
                say(f"  {plan.entries[key].action} {key}")
        if trailing_newline:
            say("")
    return total


def approve(plan: planning.Plan, auto_approve: bool) -> bool:
    """List what the deploy would delete or recreate; without --auto-approve refuse, as without a terminal."""
    messages = {name: kinds.KINDS[name].deploy_approval for name in kinds.APPROVAL_ORDER}
    return not approval_groups(plan, messages, planning.DESTRUCTIVE) or auto_approve


def _check_active_runs(context: Context, deployed: state.DeploymentState) -> None:
    for key, job_id in deployed.ids("jobs").items():
        if key in context.bundle.jobs and jobs.has_active_runs(context.client, job_id):
            raise CliError(f"job {job_id} is running")


def _apply_resource(context: Context, deployed: state.DeploymentState, resource: str, entry: planning.Entry, ids: dict[str, str]) -> None:
    kind, key = kinds.of(resource), resource.split(".")[2]
    if entry.action == "skip":
        return
    desired = planning.resolved_value(entry.new_state or {}, ids)
    known = deployed.ids(kind.name).get(key)
    if entry.action == "recreate" and known is not None:
        kind.delete(context.client, known)
    if entry.action in ("create", "recreate"):
        deployed.forget(kind.name, key)
        deployed.set(kind.name, key, kind.create(context.client, desired), desired)
    elif entry.action in ("update", "update_id") and known is not None:
        deployed.set(kind.name, key, kind.update(context.client, known, desired), desired)
    else:
        raise CliError(f"{resource}: action {entry.action} is not supported by the databricks CLI stand-in")


def _apply_permissions(context: Context, deployed: state.DeploymentState, kind: str, key: str, entry: planning.Entry) -> None:
    resource = f"resources.{kind}.{key}.permissions"
    if entry.action == "delete":
        deployed.resources.pop(resource, None)
    elif entry.action in ("create", "update"):
        resource_id = deployed.ids(kind)[key]
        acl = planning.acl_of((entry.new_state or {}).get("value", {}).get("__embed__") or [])
        permissions.put(context.client, kind, resource_id, acl)
        deployed.resources[resource] = {"__id__": f"/{kind}/{resource_id}", "state": acl}


def _apply_grants(context: Context, deployed: state.DeploymentState, resource: str, entry: planning.Entry, ids: dict[str, str]) -> None:
    if entry.action in ("create", "update"):
        desired = planning.resolved_value(entry.new_state or {}, ids)
        grants.apply(context.client, desired, (entry.remote_state or {}).get("__embed__"))
        deployed.resources[f"{resource}.grants"] = {"__id__": f"{desired['securable_type']}/{desired['full_name']}", "state": desired}


def _forget_with_children(deployed: state.DeploymentState, resource: str) -> None:
    for key in [key for key in deployed.resources if key == resource or key.startswith(resource + ".")]:
        deployed.resources.pop(key)


def _apply(context: Context, deployed: state.DeploymentState, plan: planning.Plan) -> None:
    """Create and update in dependency order (ids filled into `vars`), each with its permissions or
    grants, then delete, as the plan says."""
    ids: dict[str, str] = {}
    for resource in creation_order(_refs(plan)):
        kind, key = resource.split(".")[1:3]
        _apply_resource(context, deployed, resource, plan.entries[resource], ids)
        ids[f"{resource}.id"] = deployed.ids(kind)[key]
        acl = plan.entries.get(f"{resource}.permissions")
        if acl is not None:
            _apply_permissions(context, deployed, kind, key, acl)
        granted = plan.entries.get(f"{resource}.grants")
        if granted is not None:
            _apply_grants(context, deployed, resource, granted, ids)
    for resource, entry in sorted(plan.entries.items()):
        parts = resource.split(".")
        if entry.action != "delete":
            continue
        if len(parts) > 3:  # a child left behind by its resource: only the state forgets it (DoDelete sends nothing)
            deployed.resources.pop(resource, None)
            continue
        kind = kinds.of(resource)
        known = deployed.ids(kind.name).get(parts[2])
        if known is not None and not entry.gone:
            kind.delete(context.client, known)
        _forget_with_children(deployed, resource)


def report(plan: planning.Plan, files: sync.SyncResult) -> None:
    """`Created jobs.x` per applied action, the files, then the counts (the real CLI's logDeploySummary)."""
    for key, action in plan.actions():
        say(f"{(action.split('_')[0] + 'd').capitalize()} {key}")
    say(f"Files: {files.uploaded} uploaded, {files.deleted} deleted")
    counts = plan.counts()
    say(f"Resources: {counts['add']} created, {counts['change']} changed, {counts['delete']} deleted, {counts['unchanged']} unchanged")


def _write_metadata(context: Context, deployed: state.DeploymentState) -> None:
    from bundleops.localcli import wsfs

    workspace = context.bundle.workspace
    metadata = {
        "version": 1,
        "config": {
            "bundle": {"name": context.bundle.name, "target": context.bundle.target, "git": {"bundle_root_path": "."}},
            "workspace": {"file_path": workspace["file_path"]},
            "resources": {kind: {key: {"id": resource_id} for key, resource_id in deployed.ids(kind).items()}
                          for kind in kinds.ORDER if kind == "jobs" or deployed.ids(kind)},
        },
    }
    wsfs.write(context.client, f"{workspace['state_path']}/metadata.json", json.dumps(metadata, indent=2).encode(), overwrite=True)


def _clean_artifacts(context: Context) -> None:
    """`<artifact_path>/.internal` emptied and recreated before libraries go there, as the real CLI does."""
    from bundleops.localcli import wsfs

    artifact_path = context.bundle.workspace["artifact_path"]
    if artifact_path.startswith("/Volumes/"):
        return  # libraries in volumes are refused by name at upload
    internal = f"{artifact_path}/{libraries.INTERNAL_DIR}"
    wsfs.delete(context.client, internal, recursive=True)
    context.client.workspace.mkdirs(internal)


def _deploy_locked(context: Context, local_libraries: list[libraries.Library], deployed: state.DeploymentState,
                   synced: deployment_file.DeploymentFile, saved: planning.Plan | None, auto_approve: bool) -> bool:
    """The deploy once locked; False when a destructive action was not approved (nothing applied)."""
    from bundleops.localcli import wsfs

    bundle = context.bundle
    workspace = bundle.workspace
    _clean_artifacts(context)
    libraries.upload(local_libraries, workspace["artifact_path"], lambda path, content: wsfs.write(context.client, path, content), say)
    say(f"Uploading bundle files to {workspace['file_path']}...")
    files = sync.upload(context.client, bundle.root, bundle.target, workspace["file_path"], sync.Selection.of(bundle.sync_root, bundle.sync))
    deployment_file.save(context.client, workspace["state_path"], synced, bundle.sync_root, files.files)
    try:
        plan = saved if saved is not None else planning.compute(context, deployed)
        planning.check_prevent_destroy(plan, bundle.config)
        refused = not approve(plan, auto_approve)
    except CliError:
        say(f"Files: {files.uploaded} uploaded, {files.deleted} deleted")
        raise
    if refused:
        say(f"Error: {NO_PROMPT}\n")  # the real CLI logs this error before the file summary
        say(f"Files: {files.uploaded} uploaded, {files.deleted} deleted")
        return False
    try:
        _apply(context, deployed, plan)
    finally:
        state.save(context.client, workspace["state_path"], deployed)
    _write_metadata(context, deployed)
    report(plan, files)
    return True


def _saved_plan(args: argparse.Namespace, cwd: Path, deployed: state.DeploymentState) -> planning.Plan | None:
    """`--plan FILE`, read and checked against the state before anything is written."""
    if not args.plan:
        return None
    saved = planning.load(args.plan, cwd)
    planning.check_against_state(saved, deployed)
    return saved


def run_deploy(context: Context, args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    bundle = context.bundle
    if args.plan and planning.terraform_engine(bundle.config, environ):
        raise CliError(planning.TERRAFORM_REFUSAL)
    bundle.diagnostics.print(sys.stderr)
    if bundle.diagnostics.has_errors:
        return 1
    deployed = state.load(context.client, bundle.workspace["state_path"])
    saved = _saved_plan(args, cwd, deployed)
    synced = deployment_file.load(context.client, bundle.workspace["state_path"])
    deployment = bundle.config["bundle"].get("deployment") or {}
    if args.fail_on_active_runs or deployment.get("fail_on_active_runs") is True:
        _check_active_runs(context, deployed)
    local_libraries = libraries.expand(bundle.jobs, bundle.sync_root, artifacts.build(bundle.config, bundle.root, say))
    held = None
    if bundle.lock_enabled:
        held = lock.acquire(context.client, bundle.workspace["state_path"], context.user_name, force=args.force_lock or bundle.lock_forced)
    try:
        applied = _deploy_locked(context, local_libraries, deployed, synced, saved, args.auto_approve)
    finally:
        if held is not None:
            lock.release(held)
    return 0 if applied else 1
