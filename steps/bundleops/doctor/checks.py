"""What `bundleops doctor` checks, one after the other, each with what it found.

Every check reuses the code the steps run, so the doctor's verdict is the steps' own: the CLI as
bundle_cli.locate finds it, the host as auth.reachability sorts it, the credentials as
auth.client.connect logs in, the root path as the CLI resolves it (`bundle summary -o json`, the
pull request's own deployment included). Nothing here writes: the root path is looked up with
workspace get-status (walking up to the nearest folder that exists, where a deploy would create
it) and its access list read with the permissions API.

A check returns its value and a line of detail, or raises BundleopsError (cause, fix, exit class).
A check whose inputs failed is skipped and named as such: a root path cannot be resolved without
a CLI, nor its permissions read without an identity.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from bundleops.errors import BundleopsError, ExitCode
from bundleops.step import StepRun, check_bundle_target, require_bundle

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from bundleops.auth.policy import Identity
    from bundleops.bundle_cli import DatabricksCli
    from bundleops.workspace_calls import Calls

T = TypeVar("T")
# Folder permission levels that let an identity create and change what a deploy writes.
WRITE_LEVELS = ("CAN_MANAGE", "CAN_EDIT")
# Every user and service principal of a workspace is in this group.
EVERYONE = "users"


@dataclass(frozen=True)
class Outcome:
    what: str
    ok: bool
    detail: str
    fix: str | None = None
    code: ExitCode = ExitCode.OK

    def line(self) -> str:
        text = f"{'ok' if self.ok else 'FAIL'} {self.what}: {self.detail}"
        return text + (f"\n  fix: {self.fix}" if self.fix else "")


@dataclass
class Doctor:
    """The checks' results in order; `attempt` runs one check and keeps its outcome."""

    say: Callable[[str], None]
    outcomes: list[Outcome] = field(default_factory=list)

    def attempt(self, what: str, check: Callable[[], tuple[T, str]]) -> T | None:
        try:
            value, detail = check()
        except BundleopsError as error:
            self._keep(Outcome(what, False, error.message, error.fix, error.code))
            return None
        self._keep(Outcome(what, True, detail))
        return value

    def failed(self, what: str) -> bool:
        return any(outcome.what == what and not outcome.ok for outcome in self.outcomes)

    def finish(self, skipped: str = "", because: str = "") -> int:
        """The last line (what was skipped and why, or that all passed) and the exit code."""
        failures = [outcome.what for outcome in self.outcomes if not outcome.ok]
        if skipped:
            self.say(f"skipped {skipped}: {because}")
        self.say(f"doctor: {len(self.outcomes) - len(failures)} ok" + (f", FAILED: {', '.join(failures)}" if failures else ", nothing failed"))
        return self.exit_code

    def _keep(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        self.say(outcome.line())

    @property
    def exit_code(self) -> int:
        """The first failure's exit class: later failures often follow from it."""
        return int(next((outcome.code for outcome in self.outcomes if not outcome.ok), ExitCode.OK))


def cli() -> tuple[DatabricksCli, str]:
    from bundleops import bundle_cli

    found = bundle_cli.locate()
    return found, f"{found.path}, version {found.version_text} (bundleops needs >= {'.'.join(map(str, bundle_cli.MIN_VERSION))})"


def host(run: StepRun) -> tuple[str | None, str]:
    """DATABRICKS_HOST's form, then one OAuth-discovery request: a wrong host fails here in seconds (exit 2)."""
    from bundleops.auth import client, reachability

    configured = os.environ.get(client.HOST_ENV)
    if not configured:
        return None, f"{client.HOST_ENV} is not set: databricks-sdk takes the host from its own configuration (~/.databrickscfg), tried with the credentials"
    checked = client.check_host(configured)
    if reachability.discovery_answers(checked):
        return checked, f"{checked} answers as a Databricks workspace (OAuth discovery, no credentials sent)"
    return checked, (f"{checked} does not answer OAuth discovery now (busy, or slow): the credentials check waits for it "
                     f"up to auth.retry_timeout_seconds ({run.config.auth.retry_timeout_seconds} s)")


def identity(run: StepRun) -> tuple[tuple[WorkspaceClient, Identity], str]:
    """The credentials the steps would use, allowed for the target and accepted by the workspace (SCIM Me)."""
    from bundleops.auth import client, policy

    auth_type = policy.check_auth_type(run.context, run.target, run.config, os.environ)
    workspace, who = client.connect(retry_timeout_seconds=run.config.auth.retry_timeout_seconds)
    policy.check_identity(who, run.target, run.config)
    return (workspace, who), f"{who.describe()} on {workspace.config.host} ({auth_type or workspace.config.auth_type})"


def root_path(run: StepRun, found: DatabricksCli) -> tuple[str, str]:
    """The target's `workspace.root_path` as the CLI resolves it, for this run's deployment (a pull request's own)."""
    from bundleops import bundle_cli

    require_bundle(run.project_root)
    check_bundle_target(run)
    deployment = bundle_cli.run_deployment(run)
    resolving = replace(found, time_limit=run.config.auth.retry_timeout_seconds + bundle_cli.STARTUP_SECONDS,
                        variables=deployment.cli_variables() if deployment else ())
    resolved = resolving.summary(run.project_root.resolve(), str(run.bundle_target))
    path = str((resolved.get("workspace") or {}).get("root_path") or "")
    if not path:
        raise BundleopsError(f"`databricks bundle summary -t {run.bundle_target}` names no workspace.root_path", fix="check the CLI version", code=ExitCode.EXTERNAL_FAILURE)
    return path, f"{path} (bundle target {run.bundle_target}" + (f", the pull request's deployment {deployment.id})" if deployment else ")")


def permission(run: StepRun, workspace: WorkspaceClient, who: Identity, path: str) -> tuple[str, str]:
    """What the identity may do at the root path, or at the nearest folder above it that exists (where a deploy would create it)."""
    from bundleops.cancel_signals import Guard
    from bundleops.workspace_calls import Calls

    calls = Calls(Guard(), run.config.auth.retry_timeout_seconds, workspace.config.host or "")
    existing, object_id = _nearest_existing(calls, workspace, path)
    acl = calls.call("GET /api/2.0/permissions/directories", lambda: workspace.workspace.get_permissions("directories", str(object_id)))
    mine, others = _grants(acl.as_dict().get("access_control_list") or [], who.user_name)
    where = f"on {path}" if existing == path else f"on {existing}, where a deploy creates {path} (it does not exist yet)"
    if mine:
        grantee, level = mine[0]
        return level, f"{grantee} holds {level} {where}"
    if others:
        groups = ", ".join(f"{grantee} holds {level}" for grantee, level in others)
        return others[0][1], f"{groups} {where}; {who.user_name} needs to be a member (not checked)"
    raise BundleopsError(
        f"{who.describe()} may not create or change files {where}: the access list grants {' or '.join(WRITE_LEVELS)} to no one this identity is",
        fix=f"grant {who.user_name} CAN_MANAGE on {existing} (the folder's Permissions in the workspace), or point the target's workspace.root_path at a folder it may write",
    )


def _nearest_existing(calls: Calls, workspace: WorkspaceClient, path: str) -> tuple[str, int]:
    """The path or its nearest existing parent, with its object id; get-status only."""
    from databricks.sdk.errors import NotFound

    def status(candidate: str) -> int | None:
        try:
            return workspace.workspace.get_status(candidate).object_id
        except NotFound:
            return None

    candidate = path
    while True:
        object_id = calls.call("GET /api/2.0/workspace/get-status", lambda: status(candidate))
        if object_id is not None or candidate == "/":
            return candidate, int(object_id or 0)
        candidate = posixpath.dirname(candidate.rstrip("/")) or "/"


def _grants(entries: list[dict[str, Any]], principal: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(grantee, write level) pairs: those that reach the principal (itself, or `users`), strongest first, and other groups'."""
    mine: list[tuple[str, str]] = []
    others: list[tuple[str, str]] = []
    for entry in entries:
        levels = [grant.get("permission_level") for grant in entry.get("all_permissions") or []]
        level = next((wanted for wanted in WRITE_LEVELS if wanted in levels), None)
        group = entry.get("group_name")
        if level is None:
            continue
        if principal in (entry.get("user_name"), entry.get("service_principal_name")) or group == EVERYONE:
            mine.append((principal if not group else f"group {group}", level))
        elif group:
            others.append((f"group {group}", level))
    return sorted(mine, key=lambda grant: WRITE_LEVELS.index(grant[1])), others
