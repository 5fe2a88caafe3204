"""Files API 2.0 for Unity Catalog volumes: `/Volumes/<catalog>/<schema>/<volume>/...` kept
under the local workspace's volumes folder. The test job writes its reports there and
`bundleops test` downloads them from there."""

from __future__ import annotations

import email.utils
import shutil
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from bundleops.localworkspace.http import ApiError, Request, Response, Route

VOLUME_DEPTH = 4  # Volumes, catalog, schema, volume


def _http_date(path: Path) -> str:
    return email.utils.formatdate(path.stat().st_mtime, usegmt=True)


class VolumeStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def local(self, raw: str) -> tuple[str, Path]:
        path = unquote(raw)
        parts = PurePosixPath(path).parts
        if parts[:2] != ("/", "Volumes") or len(parts) < 1 + VOLUME_DEPTH or ".." in parts:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Path ({path}) is not a path inside a volume: /Volumes/<catalog>/<schema>/<volume>/...")
        return path, self.root.joinpath(*parts[2:])

    def routes(self) -> list[Route]:
        file_pattern = r"/api/2\.0/fs/files(?P<path>/.+)"
        directory_pattern = r"/api/2\.0/fs/directories(?P<path>/.+?)/?"
        return [
            Route("PUT", file_pattern, self.upload),
            Route("GET", file_pattern, self.download),
            Route("HEAD", file_pattern, self.metadata),
            Route("DELETE", file_pattern, self.delete_file),
            Route("PUT", directory_pattern, self.create_directory),
            Route("GET", directory_pattern, self.list_directory),
            Route("HEAD", directory_pattern, self.directory_metadata),
            Route("DELETE", directory_pattern, self.delete_directory),
        ]

    def _file(self, request: Request) -> tuple[str, Path]:
        path, local = self.local(request.params["path"])
        if not local.is_file():
            raise ApiError(404, "NOT_FOUND", f"The file being accessed is not found: {path}")
        return path, local

    def upload(self, request: Request) -> Response:
        path, local = self.local(request.params["path"])
        if local.is_dir():
            raise ApiError(409, "ALREADY_EXISTS", f"A directory already exists at {path}")
        if local.exists() and request.query.get("overwrite", "false").lower() != "true":
            raise ApiError(409, "ALREADY_EXISTS", f"The file being created already exists: {path}")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(request.body)
        return Response(204, b"")

    def download(self, request: Request) -> Response:
        _, local = self._file(request)
        content = local.read_bytes()
        start = _range_start(request.header("Range"))
        headers = {"Last-Modified": _http_date(local)}
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(content) - 1}/{len(content)}"
            return Response(206, content[start:], "application/octet-stream", headers)
        return Response(200, content, "application/octet-stream", headers)

    def metadata(self, request: Request) -> Response:
        _, local = self._file(request)
        return Response(200, local.read_bytes(), "application/octet-stream", {"Last-Modified": _http_date(local)})

    def delete_file(self, request: Request) -> Response:
        _, local = self._file(request)
        local.unlink()
        return Response(204, b"")

    def _directory(self, request: Request) -> tuple[str, Path]:
        path, local = self.local(request.params["path"])
        if not local.is_dir():
            raise ApiError(404, "NOT_FOUND", f"The directory being accessed is not found: {path}")
        return path, local

    def create_directory(self, request: Request) -> Response:
        path, local = self.local(request.params["path"])
        if local.is_file():
            raise ApiError(409, "ALREADY_EXISTS", f"A file already exists at {path}")
        local.mkdir(parents=True, exist_ok=True)
        return Response(204, b"")

    def list_directory(self, request: Request) -> Response:
        from databricks.sdk.service.files import DirectoryEntry

        path, local = self._directory(request)
        entries = [
            DirectoryEntry(
                path=f"{path.rstrip('/')}/{child.name}" + ("/" if child.is_dir() else ""),
                name=child.name,
                is_directory=child.is_dir(),
                file_size=child.stat().st_size if child.is_file() else None,
                last_modified=int(child.stat().st_mtime * 1000),
            ).as_dict()
            for child in sorted(local.iterdir())
        ]
        return Response(body={"contents": entries})

    def directory_metadata(self, request: Request) -> Response:
        self._directory(request)
        return Response(200, b"")

    def delete_directory(self, request: Request) -> Response:
        path, local = self._directory(request)
        if any(local.iterdir()):
            raise ApiError(409, "DIRECTORY_NOT_EMPTY", f"The directory being deleted is not empty: {path}")
        shutil.rmtree(local)
        return Response(204, b"")


def _range_start(header: str | None) -> int:
    if not header:
        return 0
    if not header.startswith("bytes=") or not header[6:].rstrip("-").isdigit() or not header.endswith("-"):
        raise ApiError(501, "NOT_IMPLEMENTED", f"the local workspace supports only open-ended ranges (bytes=N-), not {header}")
    return int(header[6:-1])
