"""Which deployment a rollback restores: `previous`, or the last deployment of a commit given by its hash."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bundleops.errors import BundleopsError, ExitCode
from bundleops.history.entry import HistoryEntry
from bundleops.history.store import History

PREVIOUS = "previous"
COMMIT = re.compile(r"[0-9a-fA-F]{7,40}")
LISTED = 5


@dataclass(frozen=True)
class Choice:
    current: HistoryEntry  # what the target runs now
    restore: HistoryEntry  # the deployment to put back


def choose(history: History, to: str, target_label: str) -> Choice:
    deployments = history.deployments()
    if not deployments:
        raise BundleopsError(f"no deploy of {target_label} is in its history ({history.folder}): there is nothing to roll back to",
                             fix="a rollback restores a deployment bundleops recorded; deploy through the pipeline first", code=ExitCode.BAD_INPUT)
    current = deployments[-1]
    if not current.commit:
        raise BundleopsError(f"the current deployment of {target_label} ({current.id}) names no commit", fix="deploy through the pipeline, which records it",
                             code=ExitCode.BAD_INPUT)
    if to == PREVIOUS:
        restore = next((entry for entry in reversed(deployments) if entry.commit and entry.commit != current.commit), None)
        if restore is None:
            raise BundleopsError(f"every deployment of {target_label} in its history is of commit {current.commit[:12]}: there is no previous one",
                                 fix="roll back to a commit: --to <commit>", code=ExitCode.BAD_INPUT)
        return Choice(current, restore)
    if not COMMIT.fullmatch(to):
        raise BundleopsError(f"--to {to!r} is neither `previous` nor a commit hash (7 to 40 hexadecimal digits)",
                             fix="pass --to previous, or --to <commit> of a deployment `bundleops history` lists", code=ExitCode.BAD_INPUT)
    restore = next((entry for entry in reversed(deployments) if (entry.commit or "").startswith(to.lower())), None)
    if restore is None:
        recent = ", ".join((entry.commit or "-")[:12] for entry in reversed(deployments[-LISTED:]))
        raise BundleopsError(f"commit {to} was never deployed to {target_label} (its last deployments: {recent})",
                             fix="pick a commit from `bundleops history --target ...`: a rollback restores a deployment that was live", code=ExitCode.BAD_INPUT)
    return Choice(current, restore)
