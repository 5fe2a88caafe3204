"""The deployment lock `<state_path>/deploy.lock`, as the real CLI's locker takes and releases it.

The file is JSON `{"ID", "AcquisitionTime", "IsForced", "User"}` written with
`overwrite=false`, so of two deploys only one creates it; the other reads it back, sees a
different ID and fails with the holder and time. `--force-lock` (or `bundle.deployment.lock.force`)
writes it with `overwrite=true`. The lock is deleted at the end; a killed deploy leaves it behind.
Reading it back is a get-status and an export, as the real filer reads it.
Times are printed as Go prints a time.Time, because that is the text CI logs will show.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from bundleops.localcli import wsfs
from bundleops.localcli.diagnostics import CliError

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

FILE_NAME = "deploy.lock"
ADVICE = (
    "Another deployment may be in progress. Use --force-lock to override, but this may\n"
    "conflict with the other deployment if it is still active"
)


def rfc3339_nano(moment: datetime) -> str:
    """Go's RFC3339Nano for a UTC time: fraction without trailing zeros, `Z` suffix."""
    fraction = f"{moment.microsecond * 1000:09d}".rstrip("0")
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + (f".{fraction}" if fraction else "") + "Z"


def go_time_text(stamp: str) -> str:
    """`2026-11-24T06:10:11.5Z` as Go's time.String() shows it: `2026-11-24 06:10:11.5 +0000 UTC`."""
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})", stamp)
    if not match:
        return stamp
    date, clock, fraction, zone = match.groups()
    fraction = (fraction or "").rstrip("0").rstrip(".")
    if zone == "Z":
        return f"{date} {clock}{fraction} +0000 UTC"
    offset = zone.replace(":", "")
    return f"{date} {clock}{fraction} {offset} {offset}"


@dataclass
class Lock:
    client: WorkspaceClient
    state_path: str
    lock_id: str

    @property
    def path(self) -> str:
        return f"{self.state_path}/{FILE_NAME}"


def _active(client: WorkspaceClient, path: str) -> dict[str, object] | None:
    raw = wsfs.read(client, path)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError as error:
        raise CliError(f"failed to read deployment lock {path}: {error}") from error


def _assert_held(lock: Lock) -> None:
    holder = _active(lock.client, lock.path)
    if holder is None:
        raise CliError(f"no active lock on target dir: {lock.path} does not exist")
    if holder.get("ID") == lock.lock_id:
        return
    verb = "force-acquired" if holder.get("IsForced") else "acquired"
    raise CliError(f"deploy lock {verb} by {holder.get('User')} at {go_time_text(str(holder.get('AcquisitionTime')))}.\n{ADVICE}")


def acquire(client: WorkspaceClient, state_path: str, user: str, *, force: bool) -> Lock:
    lock = Lock(client=client, state_path=state_path, lock_id=str(uuid.uuid4()))
    document = {"ID": lock.lock_id, "AcquisitionTime": rfc3339_nano(datetime.now(timezone.utc)), "IsForced": force, "User": user}
    try:
        wsfs.write(client, lock.path, json.dumps(document).encode(), overwrite=force)
    except wsfs.AlreadyExists:
        pass  # someone holds it: the read-back below names them
    _assert_held(lock)
    return lock


def release(lock: Lock) -> None:
    """Delete the lock if it is still ours; a lock already gone (destroy removed the folder) is fine.

    As the real locker: a Stat first, then the read-back that checks the holder, then the delete.
    """
    if not wsfs.stat(lock.client, lock.path):
        return
    _assert_held(lock)
    wsfs.delete(lock.client, lock.path)
