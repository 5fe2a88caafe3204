"""Unity Catalog schemas, volumes and tables: the three-level namespace the local workspace keeps.

One source of truth per kind of object:
- schemas and volumes are registered here, in memory for the server's lifetime, with the
  metadata the API answers (comment, properties, owner, type, storage location);
- a volume's files are the Files API's folder `<volumes dir>/<catalog>/<schema>/<volume>/`
  (files_api.py): creating a volume creates that folder, renaming moves it, deleting removes it
  with its files (an external volume too: its storage location is recorded, not used);
- tables are what exists in the local catalog's warehouse, `<warehouse>/<catalog>/<schema>.db/
  <table>/`, Spark's own layout under `spark.sql.warehouse.dir` (a schema's folder is created
  with it). Whatever writes a table there (a pipeline update, a task's Spark) makes it appear in
  the Tables API; nothing else registers tables, so the API cannot disagree with the data.

Grants on a schema or volume (`GET/PATCH /api/2.1/unity-catalog/permissions/<schema|volume>/<full
name>`) are kept per object, so they follow a rename and go with a delete; a PATCH change removes
its `remove` privileges first (`ALL_PRIVILEGES` removes them all, as Unity Catalog revokes it),
then grants its `add` ones; privileges are answered sorted. They are recorded, not enforced.

Catalogs are not modelled: every catalog name exists. Names are case-insensitive and stored in
lower case, as Unity Catalog does. Errors are the API's: 404 RESOURCE_DOES_NOT_EXIST, 409
RESOURCE_ALREADY_EXISTS, 400 INVALID_PARAMETER_VALUE, 400 SCHEMA_NOT_EMPTY (delete without
`force`); the SDK raises NotFound, ResourceAlreadyExists, InvalidParameterValue, BadRequest.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from bundleops.localworkspace.http import ApiError, Request, Response, Route
from bundleops.localworkspace.paging import page_body

BASE = r"/api/2\.1/unity-catalog"
NAME = r"(?P<full_name>[^/]+)"
SECURABLE = r"(?P<securable_type>schema|volume)/"
PAGE_SIZE, MAX_PAGE_SIZE = 1000, 10000
_INVALID_NAME = re.compile(r"[.\s/\x00-\x1f]")
SCHEMA_UPDATES = {"comment", "owner", "properties", "new_name", "enable_predictive_optimization"}
VOLUME_UPDATES = {"comment", "owner", "new_name"}


def _now() -> int:
    return int(time.time() * 1000)


def _name(value: Any, field: str) -> str:
    """One part of a three-level name, lower-cased; a missing or malformed one is refused by field name."""
    if not isinstance(value, str) or not value or _INVALID_NAME.search(value):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"{field} {value!r} is not a valid name: it must be non-empty, without periods, spaces, slashes or control characters")
    return value.lower()


def _parts(full_name: str, count: int, kind: str) -> list[str]:
    parts = full_name.lower().split(".")
    if len(parts) != count or not all(parts):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"{kind} name {full_name!r} is not a full name ({'.'.join(['catalog', 'schema', 'name'][:count])})")
    return parts


def _not_found(kind: str, full_name: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"{kind} '{full_name}' does not exist.")


def _refuse_unsupported(document: dict[str, Any], supported: set[str], operation: str) -> None:
    """A field the local workspace would silently drop is refused instead (see server.py: fail loudly)."""
    unknown = sorted(set(document) - supported)
    if unknown:
        raise ApiError(501, "NOT_IMPLEMENTED", f"the local workspace does not implement {operation} field(s) {', '.join(unknown)}")


class UnityCatalog:
    def __init__(self, volumes_dir: Path, warehouse_dir: Path) -> None:
        self.volumes_dir = volumes_dir
        self.warehouse_dir = warehouse_dir
        self._schemas: dict[str, dict[str, Any]] = {}
        self._volumes: dict[str, dict[str, Any]] = {}
        self._grants: dict[str, dict[str, set[str]]] = {}  # schema_id / volume_id -> principal -> privileges
        self._lock = threading.RLock()

    def routes(self) -> list[Route]:
        return [
            Route("POST", BASE + "/schemas", self.create_schema),
            Route("GET", BASE + "/schemas", self.list_schemas),
            Route("GET", BASE + "/schemas/" + NAME, self.get_schema),
            Route("PATCH", BASE + "/schemas/" + NAME, self.update_schema),
            Route("DELETE", BASE + "/schemas/" + NAME, self.delete_schema),
            Route("POST", BASE + "/volumes", self.create_volume),
            Route("GET", BASE + "/volumes", self.list_volumes),
            Route("GET", BASE + "/volumes/" + NAME, self.get_volume),
            Route("PATCH", BASE + "/volumes/" + NAME, self.update_volume),
            Route("DELETE", BASE + "/volumes/" + NAME, self.delete_volume),
            Route("GET", BASE + "/permissions/" + SECURABLE + NAME, self.get_grants),
            Route("PATCH", BASE + "/permissions/" + SECURABLE + NAME, self.update_grants),
            Route("GET", BASE + "/tables", self.list_tables),
            Route("GET", BASE + "/tables/" + NAME + "/exists", self.table_exists),
            Route("GET", BASE + "/tables/" + NAME, self.get_table),
            Route("DELETE", BASE + "/tables/" + NAME, self.delete_table),
        ]

    # -- where things are on disk ------------------------------------------------------------

    def volume_folder(self, catalog: str, schema: str, volume: str) -> Path:
        """What `/Volumes/<catalog>/<schema>/<volume>` is (the Files API serves the same folder)."""
        return self.volumes_dir / catalog / schema / volume

    def schema_warehouse(self, catalog: str, schema: str) -> Path:
        """The schema's folder in the local catalog's warehouse: its tables are the folders in it."""
        return self.warehouse_dir / catalog / f"{schema}.db"

    # -- schemas --------------------------------------------------------------------------------

    def _lookup(self, registry: dict[str, dict[str, Any]], full_name: str, levels: int, kind: str) -> dict[str, Any]:
        """A registered schema or volume by its (case-insensitive) full name, or the API's 404."""
        key = ".".join(_parts(full_name, levels, kind))
        with self._lock:
            info = registry.get(key)
        if info is None:
            raise _not_found(kind, key)
        return info

    def _schema(self, full_name: str) -> dict[str, Any]:
        return self._lookup(self._schemas, full_name, 2, "Schema")

    def create_schema(self, request: Request) -> Response:
        from databricks.sdk.service.catalog import SchemaInfo

        document = request.json()
        _refuse_unsupported(document, {"catalog_name", "name", "comment", "properties"}, "CreateSchema")
        catalog, name = _name(document.get("catalog_name"), "catalog_name"), _name(document.get("name"), "name")
        full_name, now = f"{catalog}.{name}", _now()
        info = SchemaInfo(
            catalog_name=catalog, name=name, full_name=full_name, comment=document.get("comment"),
            properties=document.get("properties"), owner=request.principal, created_at=now, created_by=request.principal,
            updated_at=now, updated_by=request.principal, schema_id=str(uuid.uuid4()),
        ).as_dict()
        with self._lock:
            if full_name in self._schemas:
                raise ApiError(409, "RESOURCE_ALREADY_EXISTS", f"Schema '{full_name}' already exists")
            self._schemas[full_name] = info
            self.schema_warehouse(catalog, name).mkdir(parents=True, exist_ok=True)
        return Response(body=info)

    def get_schema(self, request: Request) -> Response:
        return Response(body=self._schema(request.params["full_name"]))

    def list_schemas(self, request: Request) -> Response:
        catalog = _name(request.query.get("catalog_name"), "catalog_name")
        with self._lock:
            found = sorted((info for info in self._schemas.values() if info["catalog_name"] == catalog), key=lambda info: info["name"])
        return _listed("schemas", found, request)

    def _update(self, request: Request, supported: set[str], operation: str, find: Callable[[str], dict[str, Any]],
                rename: Callable[[dict[str, Any], str], None]) -> dict[str, Any]:
        """A PATCH of a schema or volume: the fields given replace the kept ones, `new_name` renames."""
        document = request.json()
        _refuse_unsupported(document, supported, operation)
        with self._lock:
            info = find(request.params["full_name"])
            new_name = document.pop("new_name", None)
            info.update(document, updated_at=_now(), updated_by=request.principal)
            if new_name is not None:
                rename(info, _name(new_name, "new_name"))
        return info

    def update_schema(self, request: Request) -> Response:
        return Response(body=self._update(request, SCHEMA_UPDATES, "UpdateSchema", self._schema, self._rename_schema))

    def _rename_schema(self, info: dict[str, Any], new_name: str) -> None:
        """A renamed schema takes its volumes and tables along, folders and full names alike."""
        catalog, old_name = info["catalog_name"], info["name"]
        new_full_name = f"{catalog}.{new_name}"
        if new_full_name in self._schemas:
            raise ApiError(409, "RESOURCE_ALREADY_EXISTS", f"Schema '{new_full_name}' already exists")
        _move(self.schema_warehouse(catalog, old_name), self.schema_warehouse(catalog, new_name))
        _move(self.volumes_dir / catalog / old_name, self.volumes_dir / catalog / new_name)
        for volume in self._volumes_in(catalog, old_name):
            del self._volumes[volume["full_name"]]
            volume.update(schema_name=new_name, full_name=f"{new_full_name}.{volume['name']}")
            self._volumes[volume["full_name"]] = volume
        del self._schemas[info["full_name"]]
        info.update(name=new_name, full_name=new_full_name)
        self._schemas[new_full_name] = info

    def delete_schema(self, request: Request) -> Response:
        force = request.query.get("force", "false").lower() == "true"
        with self._lock:
            info = self._schema(request.params["full_name"])
            catalog, name = info["catalog_name"], info["name"]
            volumes, tables = self._volumes_in(catalog, name), self._tables_in(catalog, name)
            if (volumes or tables) and not force:
                raise ApiError(400, "SCHEMA_NOT_EMPTY", f"Schema '{info['full_name']}' is not empty: it holds {len(tables)} table(s) and {len(volumes)} volume(s). Delete them first, or delete the schema with force=true")
            for volume in volumes:
                self._drop_volume(volume)
            self._grants.pop(info["schema_id"], None)
            shutil.rmtree(self.schema_warehouse(catalog, name), ignore_errors=True)
            _remove_if_empty(self.volumes_dir / catalog / name)
            del self._schemas[info["full_name"]]
        return Response(body={})

    # -- volumes --------------------------------------------------------------------------------

    def _volume(self, full_name: str) -> dict[str, Any]:
        return self._lookup(self._volumes, full_name, 3, "Volume")

    def _volumes_in(self, catalog: str, schema: str) -> list[dict[str, Any]]:
        return [info for info in self._volumes.values() if (info["catalog_name"], info["schema_name"]) == (catalog, schema)]

    def create_volume(self, request: Request) -> Response:
        document = request.json()
        _refuse_unsupported(document, {"catalog_name", "schema_name", "name", "volume_type", "comment", "storage_location"}, "CreateVolume")
        catalog, schema = _name(document.get("catalog_name"), "catalog_name"), _name(document.get("schema_name"), "schema_name")
        name = _name(document.get("name"), "name")
        volume_type, location = document.get("volume_type"), document.get("storage_location")
        _check_volume_type(volume_type, location)
        full_name, now = f"{catalog}.{schema}.{name}", _now()
        with self._lock:
            self._schema(f"{catalog}.{schema}")
            if full_name in self._volumes:
                raise ApiError(409, "RESOURCE_ALREADY_EXISTS", f"Volume '{full_name}' already exists")
            folder = self.volume_folder(catalog, schema, name)
            folder.mkdir(parents=True, exist_ok=True)
            info = {
                "catalog_name": catalog, "schema_name": schema, "name": name, "full_name": full_name,
                "volume_type": volume_type, "comment": document.get("comment"), "volume_id": str(uuid.uuid4()),
                "storage_location": location.rstrip("/") if location else folder.as_uri(), "owner": request.principal,
                "created_at": now, "created_by": request.principal, "updated_at": now, "updated_by": request.principal,
            }
            self._volumes[full_name] = info
        return Response(body=_volume_info(info))

    def get_volume(self, request: Request) -> Response:
        return Response(body=_volume_info(self._volume(request.params["full_name"])))

    def list_volumes(self, request: Request) -> Response:
        catalog = _name(request.query.get("catalog_name"), "catalog_name")
        schema = _name(request.query.get("schema_name"), "schema_name")
        with self._lock:
            self._schema(f"{catalog}.{schema}")
            found = sorted(self._volumes_in(catalog, schema), key=lambda info: info["name"])
        return _listed("volumes", [_volume_info(info) for info in found], request)

    def update_volume(self, request: Request) -> Response:
        return Response(body=_volume_info(self._update(request, VOLUME_UPDATES, "UpdateVolume", self._volume, self._rename_volume)))

    def _rename_volume(self, info: dict[str, Any], new_name: str) -> None:
        catalog, schema = info["catalog_name"], info["schema_name"]
        new_full_name = f"{catalog}.{schema}.{new_name}"
        if new_full_name in self._volumes:
            raise ApiError(409, "RESOURCE_ALREADY_EXISTS", f"Volume '{new_full_name}' already exists")
        old_folder, new_folder = self.volume_folder(catalog, schema, info["name"]), self.volume_folder(catalog, schema, new_name)
        if new_folder.exists():
            raise ApiError(409, "RESOURCE_ALREADY_EXISTS", f"Files already exist at /Volumes/{catalog}/{schema}/{new_name}")
        _move(old_folder, new_folder)
        if info["volume_type"] == "MANAGED":
            info["storage_location"] = new_folder.as_uri()
        del self._volumes[info["full_name"]]
        info.update(name=new_name, full_name=new_full_name)
        self._volumes[new_full_name] = info

    def delete_volume(self, request: Request) -> Response:
        with self._lock:
            self._drop_volume(self._volume(request.params["full_name"]))
        return Response(body={})

    def _drop_volume(self, info: dict[str, Any]) -> None:
        shutil.rmtree(self.volume_folder(info["catalog_name"], info["schema_name"], info["name"]), ignore_errors=True)
        self._grants.pop(info["volume_id"], None)
        del self._volumes[info["full_name"]]

    # -- grants ---------------------------------------------------------------------------------

    def _granted(self, request: Request) -> dict[str, set[str]]:
        """The grants of the schema or volume the request names (its 404 when it does not exist)."""
        if request.params["securable_type"] == "schema":
            object_id = self._schema(request.params["full_name"])["schema_id"]
        else:
            object_id = self._volume(request.params["full_name"])["volume_id"]
        return self._grants.setdefault(object_id, {})

    def get_grants(self, request: Request) -> Response:
        from databricks.sdk.service.catalog import GetPermissionsResponse

        with self._lock:
            granted = self._granted(request)
            assignments = [{"principal": principal, "privileges": sorted(privileges)} for principal, privileges in sorted(granted.items())]
        return Response(body=GetPermissionsResponse.from_dict({"privilege_assignments": assignments}).as_dict())

    def update_grants(self, request: Request) -> Response:
        document = request.json()
        _refuse_unsupported(document, {"changes"}, "UpdatePermissions")
        with self._lock:
            granted = self._granted(request)
            for change in document.get("changes") or []:
                principal = change.get("principal")
                if not isinstance(principal, str) or not principal:
                    raise ApiError(400, "INVALID_PARAMETER_VALUE", "UpdatePermissions change needs a principal")
                held = granted.setdefault(principal, set())
                removed = set(change.get("remove") or [])
                held -= held if "ALL_PRIVILEGES" in removed else removed
                held |= set(change.get("add") or [])
                if not held:
                    granted.pop(principal)
        return self.get_grants(request)

    # -- tables ---------------------------------------------------------------------------------

    def _tables_in(self, catalog: str, schema: str) -> list[Path]:
        folder = self.schema_warehouse(catalog, schema)
        return sorted(path for path in folder.iterdir() if path.is_dir()) if folder.is_dir() else []

    def _table(self, full_name: str) -> Path:
        catalog, schema, name = _parts(full_name, 3, "Table")
        self._schema(f"{catalog}.{schema}")
        folder = self.schema_warehouse(catalog, schema) / name
        if not folder.is_dir():
            raise _not_found("Table", f"{catalog}.{schema}.{name}")
        return folder

    def list_tables(self, request: Request) -> Response:
        catalog = _name(request.query.get("catalog_name"), "catalog_name")
        schema = _name(request.query.get("schema_name"), "schema_name")
        with self._lock:
            self._schema(f"{catalog}.{schema}")
            found = [_table_info(catalog, schema, folder) for folder in self._tables_in(catalog, schema)]
        return _listed("tables", found, request)

    def get_table(self, request: Request) -> Response:
        catalog, schema, _ = _parts(request.params["full_name"], 3, "Table")
        with self._lock:
            return Response(body=_table_info(catalog, schema, self._table(request.params["full_name"])))

    def table_exists(self, request: Request) -> Response:
        catalog, schema, name = _parts(request.params["full_name"], 3, "Table")
        with self._lock:
            self._schema(f"{catalog}.{schema}")
            exists = (self.schema_warehouse(catalog, schema) / name).is_dir()
        return Response(body={"table_exists": exists})

    def delete_table(self, request: Request) -> Response:
        with self._lock:
            shutil.rmtree(self._table(request.params["full_name"]))
        return Response(body={})


def _check_volume_type(volume_type: Any, location: Any) -> None:
    """MANAGED takes no storage location, EXTERNAL needs one: UC's CreateVolume rules and messages."""
    if volume_type not in ("MANAGED", "EXTERNAL"):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"CreateVolume volume_type must be MANAGED or EXTERNAL, not {volume_type!r}")
    if volume_type == "MANAGED" and location:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "CreateVolume storage_location can not be provided.")
    if volume_type == "EXTERNAL" and not location:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "CreateVolume Missing required field: storage_location")


def _volume_info(info: dict[str, Any]) -> dict[str, Any]:
    from databricks.sdk.service.catalog import VolumeInfo

    return VolumeInfo.from_dict(info).as_dict()


def _table_info(catalog: str, schema: str, folder: Path) -> dict[str, Any]:
    """What the warehouse folder says of a table: Delta when it has a `_delta_log`, else Parquet (Spark's default)."""
    from databricks.sdk.service.catalog import DataSourceFormat, TableInfo, TableType

    modified = int(folder.stat().st_mtime * 1000)
    data_format = DataSourceFormat.DELTA if (folder / "_delta_log").is_dir() else DataSourceFormat.PARQUET
    return TableInfo(
        catalog_name=catalog, schema_name=schema, name=folder.name, full_name=f"{catalog}.{schema}.{folder.name}",
        table_type=TableType.MANAGED, data_source_format=data_format, storage_location=folder.as_uri(),
        created_at=modified, updated_at=modified,
    ).as_dict()


def _listed(key: str, items: list[dict[str, Any]], request: Request) -> Response:
    return Response(body=page_body(key, items, request.query, default_size=PAGE_SIZE, max_size=MAX_PAGE_SIZE))


def _move(source: Path, target: Path) -> None:
    if source.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)


def _remove_if_empty(folder: Path) -> None:
    """A schema's volumes folder goes with it unless files outside any registered volume remain."""
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
