"""`<state_path>/deployment.json`: which local files the last deploy synced, as the real CLI keeps it.

The real CLI reads it before taking the lock (to see whether another machine deployed a newer
sequence) and writes it after the file sync: `{"version": 1, "seq", "cli_version", "timestamp",
"files": [{"local_path", "is_notebook"}], "id"}`. The stand-in keeps the same file so a workspace
deployed by either looks the same, and so its calls come in the real CLI's order; `seq` grows by
one per deploy and `id` stays the deployment's first one.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from bundleops.localcli import VERSION, wsfs
from bundleops.localcli.diagnostics import CliError
from bundleops.localcli.lock import rfc3339_nano
from bundleops.localcli.paths import is_notebook

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

FILE_NAME = "deployment.json"


@dataclass
class DeploymentFile:
    seq: int = 0
    deployment_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def load(client: WorkspaceClient, state_path: str) -> DeploymentFile:
    raw = wsfs.read(client, f"{state_path}/{FILE_NAME}")
    if raw is None:
        return DeploymentFile()
    try:
        document = json.loads(raw)
        return DeploymentFile(seq=int(document["seq"]), deployment_id=str(document["id"]))
    except (ValueError, KeyError, TypeError) as error:
        raise CliError(f"failed to read deployment state {state_path}/{FILE_NAME}: {error}") from error


def save(client: WorkspaceClient, state_path: str, previous: DeploymentFile, root: Path, files: list[str]) -> None:
    document = {
        "version": 1,
        "seq": previous.seq + 1,
        "cli_version": VERSION,
        "timestamp": rfc3339_nano(datetime.now(timezone.utc)),
        "files": [{"local_path": relative, "is_notebook": is_notebook(root / relative)} for relative in files],
        "id": previous.deployment_id,
    }
    wsfs.write(client, f"{state_path}/{FILE_NAME}", json.dumps(document).encode(), overwrite=True)
