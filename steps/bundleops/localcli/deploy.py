"""`bundle deploy [--plan FILE]`: lock, sync files, plan, create/reset/delete jobs, permissions, state, unlock.

The order of the REST calls follows the real CLI's direct engine (see docs/cli-standin.md,
"Requests"): read the resource state and `deployment.json` (and, when asked, check for active
runs), lock (not in development mode), clean `<artifact_path>/.internal`, upload libraries,
`Uploading bundle files to ...`, write `deployment.json`, plan against the state (a get per
known job; with `--plan FILE` the saved plan instead, checked against the state before
anything is written), apply, state and metadata upload, lock release (also on failure). A job
whose key is in the state is reset in place, never created twice; job permissions are sent only
for jobs that declare some. As with the real CLI, deleting a job needs no approval (its
`deployApprovalGroups` name schemas, pipelines, volumes and other data assets, never jobs), but a
job with `lifecycle.prevent_destroy: true` is never deleted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path

from bundleops.localcli import deployment_file, jobs, libraries, lock, plan as planning, state, sync
from bundleops.localcli.context import Context
from bundleops.localcli.diagnostics import CliError

DATA_LOSS_WARNING = (
    "Deleting data assets such as schemas, pipelines, or volumes may cause permanent data loss and should be carefully reviewed."
)


def say(text: str) -> None:
    """Progress and results go to stderr, as the real CLI logs them."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def creation_order(job_refs: dict[str, set[str]]) -> list[str]:
    """Jobs ordered so a job comes after every job whose `${resources.jobs.<key>.id}` it uses."""
    order: list[str] = []
    pending = dict(job_refs)
    while pending:
        ready = sorted(key for key, needs in pending.items() if needs <= set(order))
        if not ready:
            raise CliError(f"cycle in ${{resources.jobs.<key>.id}} references between jobs: {', '.join(sorted(pending))}")
        order.extend(ready)
        for key in ready:
            pending.pop(key)
    return order


def _job_refs(plan: planning.Plan) -> dict[str, set[str]]:
    """Job key -> the jobs it depends on, for the jobs the plan creates, updates or keeps."""
    refs = {}
    for resource, entry in plan.entries.items():
        parts = resource.split(".")
        if len(parts) == 3 and entry.action != "delete":
            needed = {dependency["node"].split(".")[2] for dependency in entry.depends_on}
            refs[parts[2]] = {name for name in needed if name != parts[2]}
    names = set(refs)
    return {key: needs & names for key, needs in refs.items()}


def _check_active_runs(context: Context, deployed: state.DeploymentState) -> None:
    for key, job_id in deployed.job_ids().items():
        if key in context.bundle.jobs and jobs.has_active_runs(context.client, job_id):
            raise CliError(f"job {job_id} is running")


def _apply_job(context: Context, deployed: state.DeploymentState, key: str, entry: planning.Entry, ids: dict[str, str]) -> None:
    if entry.action == "skip":
        return
    desired = planning.resolved_value(entry.new_state or {}, ids)
    if entry.action == "create":
        deployed.forget_job(key)
        deployed.set_job(key, jobs.create(context.client, desired), desired)
    elif entry.action == "update":
        job_id = deployed.job_ids()[key]
        jobs.reset(context.client, job_id, desired)
        deployed.set_job(key, job_id, desired)
    else:
        raise CliError(f"resources.jobs.{key}: action {entry.action} is not supported by the databricks CLI stand-in")


def _apply_permissions(context: Context, deployed: state.DeploymentState, key: str, entry: planning.Entry) -> None:
    resource = f"resources.jobs.{key}.permissions"
    if entry.action == "delete":
        deployed.resources.pop(resource, None)
    elif entry.action in ("create", "update"):
        job_id = deployed.job_ids()[key]
        acl = planning.acl_of((entry.new_state or {}).get("value", {}).get("__embed__") or [])
        jobs.set_permissions(context.client, job_id, acl)
        deployed.resources[resource] = {"__id__": f"/jobs/{job_id}", "state": acl}


def _apply(context: Context, deployed: state.DeploymentState, plan: planning.Plan) -> None:
    """Create and update in dependency order (ids filled into `vars`), then delete, as the plan says."""
    ids: dict[str, str] = {}
    for key in creation_order(_job_refs(plan)):
        _apply_job(context, deployed, key, plan.entries[f"resources.jobs.{key}"], ids)
        ids[f"resources.jobs.{key}.id"] = deployed.job_ids()[key]
        permissions = plan.entries.get(f"resources.jobs.{key}.permissions")
        if permissions is not None:
            _apply_permissions(context, deployed, key, permissions)
    for resource, entry in sorted(plan.entries.items()):
        key = resource.split(".")[2]
        if entry.action != "delete" or resource != f"resources.jobs.{key}":
            continue
        job_id = deployed.job_ids().get(key)
        if job_id is not None and not entry.gone:
            jobs.delete(context.client, job_id)
        deployed.forget_job(key)
        deployed.resources.pop(f"{resource}.permissions", None)


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
            "resources": {"jobs": {key: {"id": job_id} for key, job_id in deployed.job_ids().items()}},
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
                   synced: deployment_file.DeploymentFile, saved: planning.Plan | None) -> None:
    from bundleops.localcli import wsfs

    bundle = context.bundle
    workspace = bundle.workspace
    _clean_artifacts(context)
    libraries.upload(local_libraries, bundle.jobs, workspace["artifact_path"], lambda path, content: wsfs.write(context.client, path, content), say)
    say(f"Uploading bundle files to {workspace['file_path']}...")
    files = sync.upload(context.client, bundle.root, bundle.target, workspace["file_path"], list((bundle.config.get("sync") or {}).get("exclude") or []))
    deployment_file.save(context.client, workspace["state_path"], synced, bundle.root, files.files)
    try:
        plan = saved if saved is not None else planning.compute(context, deployed)
        planning.check_prevent_destroy(plan, bundle.jobs)
    except CliError:
        say(f"Files: {files.uploaded} uploaded, {files.deleted} deleted")
        raise
    try:
        _apply(context, deployed, plan)
    finally:
        state.save(context.client, workspace["state_path"], deployed)
    _write_metadata(context, deployed)
    report(plan, files)


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
    local_libraries = libraries.expand(bundle.jobs, bundle.root)
    held = None
    if bundle.lock_enabled:
        held = lock.acquire(context.client, bundle.workspace["state_path"], context.user_name, force=args.force_lock or bundle.lock_forced)
    try:
        _deploy_locked(context, local_libraries, deployed, synced, saved)
    finally:
        if held is not None:
            lock.release(held)
    return 0
