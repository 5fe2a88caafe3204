"""Unity Catalog schemas, volumes and tables of the local workspace, through the real databricks-sdk."""

from __future__ import annotations

import io
from typing import Any

import pytest


@pytest.fixture
def local_workspace(fresh_local_workspace):  # noqa: ANN001,ANN201 - each test lists whole catalogs of its own
    return fresh_local_workspace


def test_schemas_create_get_list_update_delete(client: Any) -> None:
    from databricks.sdk.errors import NotFound, ResourceAlreadyExists

    created = client.schemas.create(name="Raw", catalog_name="Main", comment="landing")
    assert (created.full_name, created.name, created.comment) == ("main.raw", "raw", "landing")
    with pytest.raises(ResourceAlreadyExists, match="Schema 'main.raw' already exists"):
        client.schemas.create(name="RAW", catalog_name="main")
    client.schemas.create(name="gold", catalog_name="main")
    client.schemas.create(name="other", catalog_name="dev")
    assert [schema.full_name for schema in client.schemas.list("main")] == ["main.gold", "main.raw"]
    updated = client.schemas.update("MAIN.Raw", comment="bronze", properties={"RemoveAfter": "2027-01-01T00:00:00Z"})
    assert (updated.comment, updated.properties) == ("bronze", {"RemoveAfter": "2027-01-01T00:00:00Z"})
    renamed = client.schemas.update("main.raw", new_name="bronze")
    assert (renamed.full_name, client.schemas.get("main.bronze").comment) == ("main.bronze", "bronze")
    with pytest.raises(NotFound, match="Schema 'main.raw' does not exist"):
        client.schemas.get("main.raw")
    client.schemas.delete("main.bronze")
    assert [schema.full_name for schema in client.schemas.list("main")] == ["main.gold"]
    with pytest.raises(NotFound):
        client.schemas.delete("main.bronze")


def test_schema_list_pages_through_the_sdk_iterator(client: Any) -> None:
    from databricks.sdk.errors import InvalidParameterValue

    for number in range(5):
        client.schemas.create(name=f"s{number}", catalog_name="paged")
    first = client.api_client.do("GET", "/api/2.1/unity-catalog/schemas", query={"catalog_name": "paged", "max_results": 2})
    assert ([s["name"] for s in first["schemas"]], first["next_page_token"]) == (["s0", "s1"], "2")
    assert [s.name for s in client.schemas.list("paged", max_results=2)] == ["s0", "s1", "s2", "s3", "s4"]
    with pytest.raises(InvalidParameterValue, match="max_results"):
        list(client.schemas.list("paged", max_results=-1))


def test_volumes_create_read_list_rename_delete_with_their_files(client: Any, local_workspace: Any) -> None:
    from databricks.sdk.errors import NotFound, ResourceAlreadyExists
    from databricks.sdk.service.catalog import VolumeType

    client.schemas.create(name="ci", catalog_name="main")
    volume = client.volumes.create("main", "CI", "Reports", VolumeType.MANAGED, comment="junit")
    assert (volume.full_name, volume.volume_type, volume.owner) == ("main.ci.reports", VolumeType.MANAGED, local_workspace.client_id)
    assert client.files.get_directory_metadata("/Volumes/main/ci/reports") is None  # the volume's folder exists
    with pytest.raises(ResourceAlreadyExists, match="Volume 'main.ci.reports' already exists"):
        client.volumes.create("main", "ci", "reports", VolumeType.MANAGED)
    client.files.upload("/Volumes/main/ci/reports/run-1/junit.xml", io.BytesIO(b"<testsuites/>"))
    external = client.volumes.create("main", "ci", "landing", VolumeType.EXTERNAL, storage_location="s3://bucket/landing/")
    assert external.storage_location == "s3://bucket/landing"
    assert [(v.name, v.volume_type) for v in client.volumes.list("main", "ci")] == [("landing", VolumeType.EXTERNAL), ("reports", VolumeType.MANAGED)]
    renamed = client.volumes.update("main.ci.reports", new_name="results", comment="moved")
    assert (renamed.full_name, renamed.comment) == ("main.ci.results", "moved")
    assert client.files.download("/Volumes/main/ci/results/run-1/junit.xml").contents.read() == b"<testsuites/>"
    with pytest.raises(NotFound, match="Volume 'main.ci.reports' does not exist"):
        client.volumes.read("main.ci.reports")
    client.volumes.delete("main.ci.results")
    with pytest.raises(NotFound):
        client.files.download("/Volumes/main/ci/results/run-1/junit.xml")
    with pytest.raises(NotFound):
        client.volumes.read("main.ci.results")


def test_volume_create_refuses_what_unity_catalog_refuses(client: Any) -> None:
    from databricks.sdk.errors import InvalidParameterValue, NotFound
    from databricks.sdk.service.catalog import VolumeType

    with pytest.raises(NotFound, match="Schema 'main.missing' does not exist"):
        client.volumes.create("main", "missing", "v", VolumeType.MANAGED)
    client.schemas.create(name="ci", catalog_name="main")
    with pytest.raises(InvalidParameterValue, match="storage_location can not be provided"):
        client.volumes.create("main", "ci", "v", VolumeType.MANAGED, storage_location="s3://bucket/v")
    with pytest.raises(InvalidParameterValue, match="Missing required field: storage_location"):
        client.volumes.create("main", "ci", "v", VolumeType.EXTERNAL)
    with pytest.raises(InvalidParameterValue, match="name 'a.b' is not a valid name"):
        client.volumes.create("main", "ci", "a.b", VolumeType.MANAGED)


def _write_table(local_workspace: Any, catalog: str, schema: str, table: str) -> None:
    """A table as Spark leaves it in the local catalog's warehouse (its folder of data files):
    the layout is the contract between the Tables API and whatever writes tables, so the test
    writes it without starting Spark."""
    folder = local_workspace.layout.warehouse_dir / catalog / f"{schema}.db" / table
    folder.mkdir(parents=True)
    (folder / "part-00000.parquet").write_bytes(b"PAR1")


def test_tables_are_what_the_local_catalog_holds(client: Any, local_workspace: Any) -> None:
    from databricks.sdk.errors import NotFound
    from databricks.sdk.service.catalog import DataSourceFormat, TableType

    client.schemas.create(name="sales", catalog_name="main")
    _write_table(local_workspace, "main", "sales", "orders")
    _write_table(local_workspace, "main", "sales", "customers")
    listed = [(t.full_name, t.table_type, t.data_source_format) for t in client.tables.list("main", "sales")]
    assert listed == [("main.sales.customers", TableType.MANAGED, DataSourceFormat.PARQUET), ("main.sales.orders", TableType.MANAGED, DataSourceFormat.PARQUET)]
    assert client.tables.get("Main.Sales.Orders").name == "orders"
    assert client.tables.exists("main.sales.orders").table_exists
    client.tables.delete("main.sales.orders")
    assert not client.tables.exists("main.sales.orders").table_exists
    with pytest.raises(NotFound, match="Table 'main.sales.orders' does not exist"):
        client.tables.get("main.sales.orders")
    with pytest.raises(NotFound, match="Schema 'main.nowhere' does not exist"):
        list(client.tables.list("main", "nowhere"))


def test_a_schema_holding_tables_or_volumes_is_deleted_only_with_force(client: Any, local_workspace: Any) -> None:
    from databricks.sdk.errors import BadRequest
    from databricks.sdk.service.catalog import VolumeType

    client.schemas.create(name="pr_42", catalog_name="main")
    client.volumes.create("main", "pr_42", "reports", VolumeType.MANAGED)
    _write_table(local_workspace, "main", "pr_42", "orders")
    with pytest.raises(BadRequest, match=r"holds 1 table\(s\) and 1 volume\(s\).*force=true"):
        client.schemas.delete("main.pr_42")
    client.schemas.delete("main.pr_42", force=True)
    assert list(client.schemas.list("main")) == []
    assert not (local_workspace.layout.warehouse_dir / "main" / "pr_42.db").exists()
    assert not (local_workspace.layout.volumes_dir / "main" / "pr_42").exists()


def test_fields_the_local_workspace_does_not_keep_are_refused(client: Any) -> None:
    from databricks.sdk.errors import NotImplemented as SdkNotImplemented

    client.schemas.create(name="ci", catalog_name="main")
    with pytest.raises(SdkNotImplemented, match="does not implement UpdateSchema field"):
        client.api_client.do("PATCH", "/api/2.1/unity-catalog/schemas/main.ci", body={"storage_root": "s3://x"})
    with pytest.raises(SdkNotImplemented, match="does not implement POST /api/2.1/unity-catalog/tables"):
        client.api_client.do("POST", "/api/2.1/unity-catalog/tables", body={"name": "t"})


def test_grants_on_a_schema_and_a_volume_follow_a_rename_and_go_with_a_delete(client: Any) -> None:
    from databricks.sdk.errors import NotFound
    from databricks.sdk.service.catalog import PermissionsChange, Privilege, VolumeType

    client.schemas.create(name="raw", catalog_name="main")
    client.volumes.create("main", "raw", "files", volume_type=VolumeType.MANAGED)
    client.grants.update("schema", "main.raw", changes=[PermissionsChange(principal="analysts", add=[Privilege.USE_SCHEMA, Privilege.APPLY_TAG])])
    client.grants.update("volume", "main.raw.files", changes=[PermissionsChange(principal="analysts", add=[Privilege.READ_VOLUME])])
    granted = client.grants.get("schema", "main.raw").privilege_assignments
    assert [(entry.principal, [privilege.value for privilege in entry.privileges]) for entry in granted] == [("analysts", ["APPLY_TAG", "USE_SCHEMA"])]

    # The real CLI's update: remove ALL_PRIVILEGES (every privilege) and add the wanted ones.
    client.grants.update("schema", "main.raw", changes=[PermissionsChange(principal="analysts", add=[Privilege.CREATE_TABLE], remove=[Privilege.ALL_PRIVILEGES]),
                                                        PermissionsChange(principal="gone", remove=[Privilege.ALL_PRIVILEGES])])
    granted = client.grants.get("schema", "main.raw").privilege_assignments
    assert [(entry.principal, [privilege.value for privilege in entry.privileges]) for entry in granted] == [("analysts", ["CREATE_TABLE"])]

    client.schemas.update("main.raw", new_name="bronze")
    assert [entry.principal for entry in client.grants.get("volume", "main.bronze.files").privilege_assignments] == ["analysts"]
    client.schemas.delete("main.bronze", force=True)
    client.schemas.create(name="bronze", catalog_name="main")
    assert not client.grants.get("schema", "main.bronze").privilege_assignments
    with pytest.raises(NotFound):
        client.grants.get("volume", "main.bronze.files")
