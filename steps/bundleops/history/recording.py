"""Appending a deploy of a shared target to its history: what `bundleops deploy` and `bundleops rollback` call.

Only shared targets have a history: staging and prod, never a developer's dev copy nor a pull
request's own deployment (those come and go; the sweep and destroy read their records instead).
A history that cannot be written is a warning, not a failed deploy: the deploy itself happened,
and its record is still in the CI's artifacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from bundleops.errors import BundleopsError
from bundleops.history import git_facts
from bundleops.history.entry import HistoryEntry, utc_text

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from bundleops.deploy.record import DeploymentRecord
    from bundleops.output.writers import CIWriter

SHARED_ROLES = ("staging", "prod")


@dataclass(frozen=True)
class Rollback:
    """A deploy that puts an earlier commit back (the deployed commit, as for any deploy, is the one it
    restores): the commit that was deployed before it."""

    replaces: str


def keeps_history(role: str | None, pull_request_deployment: bool) -> bool:
    return role in SHARED_ROLES and not pull_request_deployment


def entry_of(record: DeploymentRecord, outcome: str, started: datetime, finished: datetime, root: Path,
             plan: dict[str, int] | None, previous_commit: str | None, replaces: str | None = None) -> HistoryEntry:
    """The history entry of a deploy, from its deployment record and what git knows of its commit; a
    rollback (`rolled_back`) also names the commit it restores (its own) and the one it `replaces`."""
    commit = record.commit
    text = git_facts.message(root, commit) if commit else None
    return HistoryEntry(
        bundle=record.bundle, target=record.target, role=record.role, outcome=outcome,
        started_at=utc_text(started), finished_at=utc_text(finished), commit=commit,
        commit_time=git_facts.commit_time(root, commit) if commit else None,
        title=(text or "").strip().splitlines()[0] if (text or "").strip() else None,
        branch=record.branch, tag=record.tag, pr_number=record.pr_number or git_facts.pull_request_of(text),
        author=record.author, deployed_by=record.deployed_by, run_url=record.run_url, ci_system=record.ci_system,
        event=record.event, cli_version=record.cli_version, plan=plan,
        resources={"jobs": record.jobs, **record.resources} if outcome != "failed" else {},
        changes=git_facts.changes_since(root, previous_commit, commit) if commit and outcome == "deployed" else [],
        restores=commit if outcome == "rolled_back" else None, replaces=replaces if outcome == "rolled_back" else None,
    )


def append(client: WorkspaceClient, root_path: str, make_entry: Callable[[str | None], HistoryEntry], out: CIWriter) -> HistoryEntry | None:
    """Read the target's current deploy (for the previous commit), append this deploy's entry, and say where; a failure is a warning."""
    from bundleops.history import store

    try:
        current = store.current(client, root_path)
        entry = make_entry(current.commit if current else None)
        path = store.append(client, root_path, entry)
    except BundleopsError as error:
        out.warning(f"the deploy is not in the target's history: {error.message}", title="history not written")
        return None
    out.info(f"history of {entry.target}: {path} ({entry.outcome})")
    return entry
