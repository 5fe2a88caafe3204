"""After `databricks bundle deploy` ended: is its lock still in the workspace, and whose is it?

The CLI deletes `<state_path>/deploy.lock` at the end of a deploy, failed or not, but not when
the delete itself fails (one 500 is enough) and not when it is stopped: the real CLI dies on
SIGTERM and SIGINT without releasing it (main.go runs without a signal handler; a killed deploy
leaves the lock, FACTS.md). A lock left behind refuses every deploy of the target until
deploy.lock_takeover_minutes have passed, so bundleops looks after each deploy. A lock that this
deploy's CLI took (our identity, acquired after the CLI started) has no owner any more once the
CLI has ended, and bundleops deletes it; anything else it leaves alone. What it found is said
in one sentence, with the command to clear a lock it could not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable

from bundleops.deploy.lock import HeldLock
from bundleops.errors import BundleopsError

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

LOCK_FILE = "deploy.lock"
# Reading and deleting the lock are retried (workspace_calls) this long: it runs after a cancel too,
# within the few seconds a CI system waits before SIGKILL.
CLEANUP_WINDOW_SECONDS = 4.0
# The CLI stamps AcquisitionTime with the runner's clock, as we do; this covers rounding only.
CLOCK_SLACK = timedelta(seconds=2)


@dataclass(frozen=True)
class LockStatus:
    """What is true about the deploy lock after the CLI ended; `left` is True when a lock of ours remains."""

    sentence: str
    left: bool = False


def clear_command(target: str, path: str) -> str:
    return (f"run `databricks bundle deploy -t {target} --force-lock` in the project folder with the same credentials "
            f"(or delete it: `databricks workspace delete {path}`)")


def _read(client: WorkspaceClient, path: str) -> HeldLock | None:
    from databricks.sdk.errors import NotFound

    try:
        document = json.loads(client.workspace.download(path).read())
    except NotFound:
        return None
    stamp = str(document.get("AcquisitionTime", ""))
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    acquired = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return HeldLock(str(document.get("User", "")), acquired + timedelta(microseconds=int((fraction or "0")[:6].ljust(6, "0"))))


def _delete(client: WorkspaceClient, path: str) -> None:
    """Delete the lock; already gone (a retried delete whose first answer was lost) is done too."""
    from databricks.sdk.errors import NotFound

    try:
        client.workspace.delete(path)
    except NotFound:
        pass


def _failure(error: Exception) -> str:
    return error.message if isinstance(error, BundleopsError) else f"{type(error).__name__}: {error}"


def check(connect: Callable[[], WorkspaceClient], state_path: str, target: str, deployer: str, cli_started: datetime) -> LockStatus:
    """Look for the lock; delete it when this deploy's (ended) CLI left it. Never raises: a failed check is said."""
    from bundleops.workspace_calls import Calls
    from bundleops.cancel_signals import Guard

    path = f"{state_path}/{LOCK_FILE}"
    try:
        client = connect()
        calls = Calls(Guard(), CLEANUP_WINDOW_SECONDS, client.config.host or "")
        lock = calls.call("GET workspace/export (deploy.lock)", lambda: _read(client, path))
        if lock is None:
            return LockStatus(f"the deploy lock of {target} is released ({path} does not exist)")
        if lock.holder != deployer or lock.acquired < cli_started - CLOCK_SLACK:
            return LockStatus(f"the deploy lock of {target} is {lock.describe()}, not taken by this deploy; bundleops left it alone")
    except Exception as error:  # noqa: BLE001 - the check must not hide the deploy's own outcome
        return LockStatus(
            f"bundleops could not check the deploy lock {path} ({_failure(error)}); if the next deploy "
            f"finds it held by {deployer}, {clear_command(target, path)}", left=True)
    try:
        calls.call("POST workspace/delete (deploy.lock)", lambda: _delete(client, path))
    except Exception as error:  # noqa: BLE001 - said below, with the command that clears it
        return LockStatus(
            f"the deploy lock {path} is still there ({lock.describe()}): the CLI did not release it and deleting it failed "
            f"({_failure(error)}). Every deploy of {target} is refused until it is cleared: {clear_command(target, path)}",
            left=True)
    return LockStatus(f"the CLI left its deploy lock {path} behind ({lock.describe()}); bundleops deleted it")
