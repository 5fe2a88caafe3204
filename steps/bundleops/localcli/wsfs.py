"""Workspace files the way the real CLI's filer reads and writes them.

Writes go to `POST /api/2.0/workspace-files/import-file/<path>?overwrite=true|false` with the
raw bytes as body (the path URL-escaped, slashes included, as the real CLI sends it); when the
parent folder is missing the folder is created and the write retried. A read first asks
`GET /api/2.0/workspace/get-status?return_export_info=true` (the filer's Stat, so a missing file
is one 404) and then `GET /api/2.0/workspace/export?direct_download=true`. The lock relies on
`overwrite=false` failing when the file exists.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


class AlreadyExists(Exception):
    """The file exists and `overwrite` was false."""


def _import_file(client: WorkspaceClient, path: str, content: bytes, overwrite: bool) -> None:
    client.api_client.do(
        "POST",
        "/api/2.0/workspace-files/import-file/" + quote(path.lstrip("/"), safe=""),
        query={"overwrite": "true" if overwrite else "false"},
        data=content,
        headers={"Content-Type": "application/octet-stream"},
    )


def write(client: WorkspaceClient, path: str, content: bytes, *, overwrite: bool = True) -> None:
    from databricks.sdk.errors import BadRequest, NotFound, ResourceAlreadyExists

    try:
        try:
            _import_file(client, path, content, overwrite)
        except NotFound:
            client.workspace.mkdirs(path.rsplit("/", 1)[0])
            _import_file(client, path, content, overwrite)
    except ResourceAlreadyExists as error:
        raise AlreadyExists(path) from error
    except BadRequest as error:
        if "already exists" not in str(error):
            raise
        raise AlreadyExists(path) from error


def stat(client: WorkspaceClient, path: str) -> bool:
    """Whether the file exists, asked as the real CLI's filer asks (`return_export_info=true`)."""
    from databricks.sdk.errors import NotFound

    try:
        client.api_client.do("GET", "/api/2.0/workspace/get-status", query={"path": path, "return_export_info": "true"})
    except NotFound:
        return False
    return True


def read(client: WorkspaceClient, path: str) -> bytes | None:
    """The file's bytes, or None when it does not exist."""
    return export(client, path) if stat(client, path) else None


def export(client: WorkspaceClient, path: str) -> bytes | None:
    """The file's bytes without the Stat before (the caller has just asked); None when it is gone."""
    from databricks.sdk.errors import NotFound

    try:
        return client.workspace.download(path).read()
    except NotFound:
        return None


def exists(client: WorkspaceClient, path: str) -> bool:
    """Whether a folder or file exists (a plain get-status, as the SDK's GetStatusByPath sends it)."""
    from databricks.sdk.errors import NotFound

    try:
        client.workspace.get_status(path)
    except NotFound:
        return False
    return True


def delete(client: WorkspaceClient, path: str, *, recursive: bool = False) -> bool:
    """Delete a file or folder; False when it was already gone. `recursive` is sent only when true,
    as the real CLI sends it."""
    from databricks.sdk.errors import NotFound

    try:
        client.api_client.do("POST", "/api/2.0/workspace/delete", body={"path": path, **({"recursive": True} if recursive else {})})
    except NotFound:
        return False
    return True
