"""Deployment records in the workspace: how destroy and the sweep know a folder is a pull-request deployment of ours.

`bundleops deploy` of a pull-request deployment writes its deployment record to
`<root_path>/bundleops/deployment.json` as well as to the CI's report folder. The record lives
inside the deployment's folder, so `databricks bundle destroy` deletes it with the rest, and
the CLI's own folders (files/, state/, artifacts/, resources/) are never touched by it. A folder
without a readable record of ours is not ours: the sweep leaves it alone.

databricks-sdk is imported inside the functions (the command modules stay light).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

RECORD_FOLDER = "bundleops"
RECORD_FILE = "deployment.json"


@dataclass(frozen=True)
class Found:
    """A folder under the target's pull-request folder, and its record when it has one of ours."""

    name: str
    root_path: str
    record: dict[str, Any] | None

    @property
    def pr_number(self) -> int | None:
        number = (self.record or {}).get("pr_number")
        return number if isinstance(number, int) else None

    @property
    def deployed_at(self) -> datetime | None:
        """The record's UTC deploy time; None when the record has none we can read."""
        try:
            return datetime.strptime(str((self.record or {}).get("deployed_at")), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            return None

    @property
    def is_ours(self) -> bool:
        """A record we wrote for this very folder: a pull request's number, a deploy time, the folder's id."""
        record = self.record or {}
        return self.pr_number is not None and self.deployed_at is not None and record.get("deployment") == self.name


def record_path(root_path: str) -> str:
    return f"{root_path.rstrip('/')}/{RECORD_FOLDER}/{RECORD_FILE}"


def write_record(client: WorkspaceClient, root_path: str, document: dict[str, Any]) -> str:
    """Put the record in the deployment's folder (overwriting the previous run's); returns its path."""
    import io

    from databricks.sdk.service.workspace import ImportFormat

    path = record_path(root_path)
    body = (json.dumps(document, indent=2) + "\n").encode("utf-8")
    call(lambda: client.workspace.mkdirs(path.rsplit("/", 1)[0]), "workspace/mkdirs", client)
    call(lambda: client.workspace.upload(path, io.BytesIO(body), format=ImportFormat.AUTO, overwrite=True), "workspace/import", client)
    return path


def list_deployments(client: WorkspaceClient, folder: str) -> list[Found]:
    """Every folder under `folder` with its record (None when it has none or it is not JSON); [] when `folder` is absent."""
    from databricks.sdk.errors import NotFound
    from databricks.sdk.service.workspace import ObjectType

    try:
        entries = call(lambda: list(client.workspace.list(folder)), "workspace/list", client)
    except NotFound:
        return []
    folders = sorted(str(entry.path) for entry in entries if entry.object_type == ObjectType.DIRECTORY)
    return [Found(path.rsplit("/", 1)[-1], path, read_record(client, path)) for path in folders]


def read_record(client: WorkspaceClient, root_path: str) -> dict[str, Any] | None:
    from databricks.sdk.errors import NotFound

    try:
        data = call(lambda: client.workspace.download(record_path(root_path)).read(), "workspace/export", client)
    except NotFound:
        return None
    try:
        document = json.loads(data)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def call(function: Any, endpoint: str, client: WorkspaceClient) -> Any:
    """One SDK call (the SDK retries 429/503 and resets itself); NotFound is the caller's, anything else a named error."""
    from databricks.sdk.errors import NotFound

    from bundleops.workspace_errors import to_error

    try:
        return function()
    except NotFound:
        raise
    except Exception as error:  # noqa: BLE001 - every other failure becomes one named error
        raise to_error(error, endpoint, host=str(client.config.host)) from None
