"""What each deployment of the demo left in the local workspace, read back through databricks-sdk.

The pipelines claim that a merged pull request's deployment is destroyed whole and that the other
deployments keep their own resources apart (a pull request's schema is its own, with the tables
its pipeline wrote). After the runs, every resource a deployment record names is looked up in the
workspace, as any client would, and the demo says which are still there: the claim shown, not told.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from bundleops.deploy.record import DeploymentRecord

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


def describe(records: list[Path], client: WorkspaceClient) -> list[str]:
    """One line per deployment (its latest record): its resources, each `gone` or still there (a schema with its tables)."""
    latest: dict[str, DeploymentRecord] = {}
    for record in sorted((DeploymentRecord.read(path) for path in records), key=lambda record: record.deployed_at):
        latest[record.deployment or record.target] = record
    return [_line(record, client) for record in latest.values()]


def _line(record: DeploymentRecord, client: WorkspaceClient) -> str:
    parts = [f"{kind}.{key} {_state(kind, str(resource.get('id', '')), client)}" for kind, key, resource in record.deployed()]
    return f"{record.deployment or record.target}: {'; '.join(parts) or 'no resources'}"


def _state(kind: str, identifier: str, client: WorkspaceClient) -> str:
    from databricks.sdk.errors import NotFound

    lookups: dict[str, Callable[[], Any]] = {
        "jobs": lambda: client.jobs.get(int(identifier)),
        "pipelines": lambda: client.pipelines.get(identifier),
        "volumes": lambda: client.volumes.read(identifier),
        "schemas": lambda: client.schemas.get(identifier),
    }
    if kind not in lookups:
        return f"({identifier})"
    try:
        lookups[kind]()
    except NotFound:
        return f"({identifier}) gone"
    if kind != "schemas":
        return f"({identifier}) there"
    catalog, schema = identifier.split(".", 1)
    tables = sorted(table.name or "" for table in client.tables.list(catalog_name=catalog, schema_name=schema))
    return f"({identifier}) there, tables: {', '.join(tables) or 'none'}"
