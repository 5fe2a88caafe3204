"""Workspace API 2.0 (mkdirs, import, export, get-status, list, delete), the workspace-files
import endpoint the real CLI syncs bundle files and writes its lock and state with, and a
folder's permissions as the Permissions API reads them.

The local workspace keeps no access lists on folders: every identity may write everywhere. A
folder's permissions say exactly that, as the real API says it of /Workspace/Shared: the group
`users` (every user and service principal) holds CAN_MANAGE, inherited from the root folder."""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
from urllib.parse import unquote

from bundleops.localworkspace.http import ApiError, Request, Response, Route
from bundleops.localworkspace.workspace_tree import Entry, WorkspaceTree


def object_info(entry: Entry) -> dict:
    from databricks.sdk.service.workspace import Language, ObjectInfo, ObjectType

    stat = entry.local.stat()
    info = ObjectInfo(
        path=entry.path,
        object_type=ObjectType(entry.object_type),
        object_id=stat.st_ino,
        language=Language(entry.language) if entry.language else None,
        size=stat.st_size if entry.object_type == "FILE" else None,
        modified_at=int(stat.st_mtime * 1000),
        created_at=int(stat.st_ctime * 1000),
    )
    return info.as_dict()


def _flag(value: object) -> bool:
    return str(value).lower() == "true"


def _multipart(request: Request) -> tuple[dict[str, str], bytes]:
    """The form fields and the `content` file of a multipart/form-data import (the SDK's upload)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {request.header('Content-Type')}\r\n\r\n".encode() + request.body
    )
    fields: dict[str, str] = {}
    content = b""
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if name == "content":
            content = payload
        elif name:
            fields[str(name)] = payload.decode()
    return fields, content


def _import_arguments(request: Request) -> tuple[dict, bytes]:
    if (request.header("Content-Type") or "").startswith("multipart/form-data"):
        return _multipart(request)
    document = request.json()
    try:
        content = base64.b64decode(document.get("content") or "", validate=True)
    except binascii.Error as error:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"content is not valid base64: {error}") from error
    return document, content


def routes(tree: WorkspaceTree) -> list[Route]:
    def mkdirs(request: Request) -> Response:
        tree.mkdirs(_required(request.json(), "path"))
        return Response(body={})

    def import_(request: Request) -> Response:
        fields, content = _import_arguments(request)
        path = _required(fields, "path")
        overwrite = _flag(fields.get("overwrite", False))
        fmt = fields.get("format") or "SOURCE"
        if fmt == "AUTO":
            tree.write_file(path, content, overwrite=overwrite)
        elif fmt == "SOURCE":
            language = fields.get("language")
            if not language:
                raise ApiError(400, "INVALID_PARAMETER_VALUE", "The language field is required when importing in SOURCE format")
            tree.write_notebook(path, str(language), content, overwrite=overwrite)
        else:
            raise ApiError(501, "NOT_IMPLEMENTED", f"the local workspace imports formats SOURCE and AUTO only, not {fmt}")
        return Response(body={})

    def import_file(request: Request) -> Response:
        path = "/" + unquote(request.params["path"])
        tree.write_file(path, request.body, overwrite=_flag(request.query.get("overwrite", "false")))
        return Response(body={})

    def export(request: Request) -> Response:
        entry = tree.get(_required(request.query, "path"))
        if entry.object_type == "DIRECTORY":
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Path ({entry.path}) is a directory; the local workspace exports files and notebooks only")
        content = entry.local.read_bytes()
        if _flag(request.query.get("direct_download", "false")):
            return Response(body=content, content_type="application/octet-stream")
        return Response(body={"content": base64.b64encode(content).decode(), "file_type": entry.local.suffix.lstrip(".")})

    def get_status(request: Request) -> Response:
        return Response(body=object_info(tree.get(_required(request.query, "path"))))

    def list_(request: Request) -> Response:
        children = tree.children(_required(request.query, "path"))
        return Response(body={"objects": [object_info(child) for child in children]} if children else {})

    def folder_permissions(request: Request) -> Response:
        from databricks.sdk.service.workspace import (
            WorkspaceObjectAccessControlResponse, WorkspaceObjectPermission, WorkspaceObjectPermissionLevel, WorkspaceObjectPermissions)

        folder = tree.folder_with_id(int(request.params["object_id"]))
        root = f"/directories/{tree.root.stat().st_ino}"
        grant = WorkspaceObjectPermission(permission_level=WorkspaceObjectPermissionLevel.CAN_MANAGE, inherited=folder.local != tree.root,
                                          inherited_from_object=[root] if folder.local != tree.root else None)
        acl = [WorkspaceObjectAccessControlResponse(group_name="users", all_permissions=[grant])]
        return Response(body=WorkspaceObjectPermissions(object_id=f"/directories/{request.params['object_id']}", object_type="directory",
                                                        access_control_list=acl).as_dict())

    def delete(request: Request) -> Response:
        document = request.json()
        tree.delete(_required(document, "path"), recursive=_flag(document.get("recursive", False)))
        return Response(body={})

    return [
        Route("POST", r"/api/2\.0/workspace/mkdirs", mkdirs),
        Route("POST", r"/api/2\.0/workspace/import", import_),
        Route("POST", r"/api/2\.0/workspace-files/import-file/(?P<path>.+)", import_file),
        Route("GET", r"/api/2\.0/workspace/export", export),
        Route("GET", r"/api/2\.0/workspace/get-status", get_status),
        Route("GET", r"/api/2\.0/workspace/list", list_),
        Route("POST", r"/api/2\.0/workspace/delete", delete),
        Route("GET", r"/api/2\.0/permissions/directories/(?P<object_id>\d+)", folder_permissions),
    ]


def _required(document: dict, key: str) -> str:
    value = document.get(key)
    if not value or not isinstance(value, str):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Missing required field: {key}")
    return value
