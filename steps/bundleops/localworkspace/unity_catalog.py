"""Unity Catalog schemas (create, get, list, delete), in memory for the server's lifetime."""

from __future__ import annotations

import threading
import time

from bundleops.localworkspace.http import ApiError, Request, Response, Route


class Schemas:
    def __init__(self) -> None:
        self._schemas: dict[str, dict] = {}
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        base = r"/api/2\.1/unity-catalog/schemas"
        return [
            Route("POST", base, self.create),
            Route("GET", base, self.list),
            Route("GET", base + r"/(?P<full_name>[^/]+)", self.get),
            Route("DELETE", base + r"/(?P<full_name>[^/]+)", self.delete),
        ]

    def create(self, request: Request) -> Response:
        from databricks.sdk.service.catalog import SchemaInfo

        document = request.json()
        catalog, name = document.get("catalog_name"), document.get("name")
        if not catalog or not name:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "catalog_name and name are required")
        full_name = f"{catalog}.{name}"
        now = int(time.time() * 1000)
        info = SchemaInfo(
            catalog_name=catalog, name=name, full_name=full_name, comment=document.get("comment"),
            properties=document.get("properties"), owner=request.principal, created_at=now, created_by=request.principal,
            updated_at=now,
        ).as_dict()
        with self._lock:
            if full_name in self._schemas:
                raise ApiError(409, "SCHEMA_ALREADY_EXISTS", f"Schema '{full_name}' already exists")
            self._schemas[full_name] = info
        return Response(body=info)

    def _find(self, full_name: str) -> dict:
        with self._lock:
            info = self._schemas.get(full_name)
        if info is None:
            raise ApiError(404, "SCHEMA_DOES_NOT_EXIST", f"Schema '{full_name}' does not exist.")
        return info

    def get(self, request: Request) -> Response:
        return Response(body=self._find(request.params["full_name"]))

    def list(self, request: Request) -> Response:
        catalog = request.query.get("catalog_name")
        if not catalog:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "catalog_name is required")
        with self._lock:
            found = [info for info in self._schemas.values() if info["catalog_name"] == catalog]
        return Response(body={"schemas": found})

    def delete(self, request: Request) -> Response:
        full_name = request.params["full_name"]
        self._find(full_name)
        with self._lock:
            self._schemas.pop(full_name, None)
        return Response(body={})
