"""Unity Catalog schemas and volumes as the deploy sends them (databricks-sdk's client).

Their id is the full name (`catalog.schema`, `catalog.schema.volume`). A schema is updated with
`PATCH` of its comment and properties (a name or catalog change recreates it, as in the real
CLI) and deleted with `force=true` (its tables and volumes go with it); a volume's rename is
`PATCH` with `new_name` (its id changes), and its comment the only other field an update sends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

BASE = "/api/2.1/unity-catalog"
SCHEMA_FIELDS = ("catalog_name", "comment", "custom_max_retention_hours", "name", "properties", "storage_root")
VOLUME_FIELDS = ("catalog_name", "comment", "name", "schema_name", "storage_location", "volume_type")


def schema_type() -> Any:
    from databricks.sdk.service.catalog import SchemaInfo

    return SchemaInfo


def volume_type() -> Any:
    from databricks.sdk.service.catalog import VolumeInfo

    return VolumeInfo


def _read(client: WorkspaceClient, path: str) -> dict[str, Any] | None:
    from databricks.sdk.errors import NotFound

    try:
        return dict(client.api_client.do("GET", path))
    except NotFound:
        return None


def _delete(client: WorkspaceClient, path: str, query: dict[str, str] | None = None) -> None:
    from databricks.sdk.errors import NotFound

    try:
        client.api_client.do("DELETE", path, query=query)
    except NotFound:
        pass


def create_schema(client: WorkspaceClient, settings: dict[str, Any]) -> str:
    return str(client.api_client.do("POST", f"{BASE}/schemas", body=settings)["full_name"])


def read_schema(client: WorkspaceClient, full_name: str) -> dict[str, Any] | None:
    return _read(client, f"{BASE}/schemas/{full_name}")


def update_schema(client: WorkspaceClient, full_name: str, settings: dict[str, Any]) -> str:
    body = {key: settings[key] for key in ("comment", "properties", "custom_max_retention_hours") if key in settings}
    client.api_client.do("PATCH", f"{BASE}/schemas/{full_name}", body=body)
    return full_name


def delete_schema(client: WorkspaceClient, full_name: str) -> None:
    _delete(client, f"{BASE}/schemas/{full_name}", {"force": "true"})


def create_volume(client: WorkspaceClient, settings: dict[str, Any]) -> str:
    return str(client.api_client.do("POST", f"{BASE}/volumes", body=settings)["full_name"])


def read_volume(client: WorkspaceClient, full_name: str) -> dict[str, Any] | None:
    return _read(client, f"{BASE}/volumes/{full_name}")


def update_volume(client: WorkspaceClient, full_name: str, settings: dict[str, Any]) -> str:
    """The comment, and `new_name` when the name changed (the id changes with it)."""
    body: dict[str, Any] = {"comment": settings["comment"]} if "comment" in settings else {}
    if settings.get("name") and settings["name"] != full_name.rsplit(".", 1)[-1]:
        body["new_name"] = settings["name"]
    return str(client.api_client.do("PATCH", f"{BASE}/volumes/{full_name}", body=body)["full_name"])


def delete_volume(client: WorkspaceClient, full_name: str) -> None:
    _delete(client, f"{BASE}/volumes/{full_name}")


def schema_settings(remote: dict[str, Any]) -> dict[str, Any]:
    return {key: remote[key] for key in SCHEMA_FIELDS if key in remote}


def volume_settings(remote: dict[str, Any]) -> dict[str, Any]:
    return {key: remote[key] for key in VOLUME_FIELDS if key in remote}
