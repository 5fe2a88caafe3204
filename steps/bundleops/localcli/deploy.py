"""`bundle deploy`: lock, sync files, create/reset/delete jobs, permissions, state, unlock.

The order of the REST calls follows the real CLI's direct engine (see docs/cli-standin.md,
"Requests"): read the resource state and `deployment.json` (and, when asked, check for active
runs), lock (not in development mode), clean `<artifact_path>/.internal`, upload libraries,
`Uploading bundle files to ...`, write `deployment.json`, plan against the state (a get per
known job), approval for deletions, apply, state and metadata upload, lock release (also on
failure). A job whose key is in the state is reset in place, never created twice; job
permissions are sent only for jobs that declare some. One stand-in difference, on purpose:
deleting a job removed from the configuration needs `--auto-approve` (the real CLI asks only for
schemas, pipelines, volumes and the like) so CI can prove that destructive changes are held back.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from bundleops.localcli import deployment_file, interpolation, jobs, libraries, lock, state, sync
from bundleops.localcli.context import Context
from bundleops.localcli.diagnostics import CliError, Diagnostics

DATA_LOSS_WARNING = (
    "Deleting data assets such as schemas, pipelines, or volumes may cause permanent data loss and should be carefully reviewed."
)


def say(text: str) -> None:
    """Progress and results go to stderr, as the real CLI logs them."""
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


@dataclass
class Outcome:
    actions: dict[str, str] = field(default_factory=dict)

    def count(self, verb: str) -> int:
        return sum(1 for action in self.actions.values() if action == verb)

    def report(self) -> None:
        for key, verb in sorted(self.actions.items()):
            if verb != "unchanged":
                say(f"{verb.capitalize()} jobs.{key}")


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


def _job_refs(jobs_config: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    refs = {}
    for key, job in jobs_config.items():
        needed = {ref.split(".")[2] for ref in interpolation.references_in(job) if interpolation.is_resource_id(ref)}
        refs[key] = {name for name in needed if name in jobs_config and name != key}
    return refs


def _check_active_runs(context: Context, deployed: state.DeploymentState) -> None:
    for key, job_id in deployed.job_ids().items():
        if key in context.bundle.jobs and jobs.has_active_runs(context.client, job_id):
            raise CliError(f"job {job_id} is running")


def _refuse_deletions(deletions: list[str]) -> None:
    say("")
    say("This action will result in the deletion of the following jobs:")
    for key in deletions:
        say(f"  delete resources.jobs.{key}")
    raise CliError(
        "the deployment requires destructive actions, but the current console does not support prompting.\n"
        f"{DATA_LOSS_WARNING}\nTo proceed, use --auto-approve after reviewing the plan above."
    )


def _apply_job(context: Context, deployed: state.DeploymentState, key: str, known: bool, outcome: Outcome) -> None:
    bundle = context.bundle
    desired = jobs.api_settings(bundle.jobs[key], bundle.workspace["state_path"])
    job_id = deployed.job_ids().get(key) if known else None
    if job_id is None:
        job_id = jobs.create(context.client, desired)
        outcome.actions[key] = "created"
    elif deployed.job_settings(key) != desired:
        jobs.reset(context.client, job_id, desired)
        outcome.actions[key] = "updated"
    else:
        outcome.actions[key] = "unchanged"
    deployed.set_job(key, job_id, desired)
    permissions_key = f"resources.jobs.{key}.permissions"
    if not bundle.jobs[key].get("permissions") and permissions_key not in deployed.resources:
        return  # the real CLI has no permissions resource for a job that declares none
    acl = jobs.access_control_list(bundle.jobs[key], context.user_name)
    if outcome.actions[key] == "created" or deployed.resources.get(permissions_key, {}).get("state") != acl:
        jobs.set_permissions(context.client, job_id, acl)
        deployed.resources[permissions_key] = {"__id__": f"/jobs/{job_id}", "state": acl}


def _apply(context: Context, deployed: state.DeploymentState, deletions: list[str]) -> Outcome:
    bundle = context.bundle
    outcome = Outcome()
    known_ids = deployed.job_ids()
    ids: dict[str, str] = {}
    for key in creation_order(_job_refs(bundle.jobs)):
        known = key in known_ids and jobs.exists(context.client, known_ids[key])
        if not known:
            deployed.forget_job(key)
            deployed.resources.pop(f"resources.jobs.{key}.permissions", None)
        references = Diagnostics()
        interpolation.resolve(bundle.config, references, {f"resources.jobs.{name}.id": job_id for name, job_id in ids.items()})
        if references.has_errors:
            raise CliError(references.first_error())
        _apply_job(context, deployed, key, known, outcome)
        ids[key] = deployed.job_ids()[key]
    for key in deletions:
        jobs.delete(context.client, known_ids[key])
        deployed.forget_job(key)
        deployed.resources.pop(f"resources.jobs.{key}.permissions", None)
        outcome.actions[key] = "deleted"
    return outcome


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


def _deploy_locked(context: Context, args: argparse.Namespace, local_libraries: list[libraries.Library],
                   deployed: state.DeploymentState, synced: deployment_file.DeploymentFile) -> None:
    from bundleops.localcli import wsfs

    bundle = context.bundle
    workspace = bundle.workspace
    _clean_artifacts(context)
    libraries.upload(local_libraries, bundle.jobs, workspace["artifact_path"], lambda path, content: wsfs.write(context.client, path, content), say)
    say(f"Uploading bundle files to {workspace['file_path']}...")
    files = sync.upload(context.client, bundle.root, bundle.target, workspace["file_path"], list((bundle.config.get("sync") or {}).get("exclude") or []))
    deployment_file.save(context.client, workspace["state_path"], synced, bundle.root, files.files)
    deletions = sorted(key for key in deployed.job_ids() if key not in bundle.jobs)
    if deletions and not args.auto_approve:
        try:
            _refuse_deletions(deletions)
        finally:
            say(f"Files: {files.uploaded} uploaded, {files.deleted} deleted")
    try:
        outcome = _apply(context, deployed, deletions)
    finally:
        state.save(context.client, workspace["state_path"], deployed)
    _write_metadata(context, deployed)
    outcome.report()
    say(f"Files: {files.uploaded} uploaded, {files.deleted} deleted")
    created, updated, deleted, unchanged = (outcome.count(verb) for verb in ("created", "updated", "deleted", "unchanged"))
    say(f"Resources: {created} created, {updated} changed, {deleted} deleted, {unchanged} unchanged")


def run_deploy(context: Context, args: argparse.Namespace) -> int:
    bundle = context.bundle
    bundle.diagnostics.print(sys.stderr)
    if bundle.diagnostics.has_errors:
        return 1
    deployed = state.load(context.client, bundle.workspace["state_path"])
    synced = deployment_file.load(context.client, bundle.workspace["state_path"])
    deployment = bundle.config["bundle"].get("deployment") or {}
    if args.fail_on_active_runs or deployment.get("fail_on_active_runs") is True:
        _check_active_runs(context, deployed)
    local_libraries = libraries.expand(bundle.jobs, bundle.root)
    held = None
    if bundle.lock_enabled:
        held = lock.acquire(context.client, bundle.workspace["state_path"], context.user_name, force=args.force_lock or bundle.lock_forced)
    try:
        _deploy_locked(context, args, local_libraries, deployed, synced)
    finally:
        if held is not None:
            lock.release(held)
    return 0
