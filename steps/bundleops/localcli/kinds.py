"""The resource kinds the stand-in deploys, each described once: its API calls, its id, its rules.

The plan, deploy, destroy, summary and state code is written once over this registry instead of
once per kind. A kind says how to create, read, update and delete one resource through
databricks-sdk's client (the id each answers, the id an update may change, as a volume's rename
does), what of the read-back answer the configuration describes (`remote_settings`, compared in
the plan) and what the plan shows as `remote_state`, its field rules (the real CLI's
`bundle/direct/dresources/resources.yml`: which changes recreate it, which are skipped), the
bundle-only fields never sent, and the real CLI's approval texts for deleting or recreating it
(`bundle/phases/messages.go`: schemas, pipelines and volumes hold data; jobs need no approval).
Kinds not in `KINDS` are refused by name (resources.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bundleops.localcli import catalog, jobs, pipelines
from bundleops.localcli.plan_diff import DROP, JOB_RULES, Rules

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

DEPLOY_SCHEMAS = "\nThis action will result in the deletion or recreation of the following UC schemas. Any underlying data may be lost:"
DEPLOY_PIPELINES = (
    "\nThis action will result in the deletion or recreation of the following Lakeflow Spark Declarative Pipelines along with the\n"
    "Streaming Tables (STs) and Materialized Views (MVs) managed by them. Recreating the pipelines will\n"
    "restore the defined STs and MVs through full refresh. Note that recreation is necessary when pipeline\n"
    "properties such as the 'catalog' or 'storage' are changed:"
)
DEPLOY_VOLUMES = (
    "\nThis action will result in the deletion or recreation of the following volumes.\n"
    "For managed volumes, the files stored in the volume are also deleted from your\n"
    "cloud tenant within 30 days. For external volumes, the metadata about the volume\n"
    "is removed from the catalog, but the underlying files are not deleted:"
)
DESTROY_SCHEMAS = "This action will result in the deletion of the following UC schemas. Any underlying data may be lost:"
DESTROY_PIPELINES = (
    "This action will result in the deletion of the following Lakeflow Spark Declarative Pipelines along with the\n"
    "Streaming Tables (STs) and Materialized Views (MVs) managed by them. Set 'cascade_on_destroy: false' on a pipeline to retain datasets on pipeline deletion:"
)
DESTROY_VOLUMES = (
    "This action will result in the deletion of the following volumes.\n"
    "For managed volumes, the files stored in the volume are also deleted from your\n"
    "cloud tenant within 30 days. For external volumes, the metadata about the volume\n"
    "is removed from the catalog, but the underlying files are not deleted:"
)


def _job_update(client: WorkspaceClient, job_id: str, settings: dict[str, Any]) -> str:
    jobs.reset(client, job_id, settings)
    return job_id


def _job_remote_state(remote: dict[str, Any]) -> dict[str, Any]:
    """The job's settings with the job's own fields beside them (the real CLI's JobRemote)."""
    return {**(remote.get("settings") or {}), **{name: remote[name] for name in jobs.REMOTE_FIELDS if name in remote}}


def _without(fields: tuple[str, ...]) -> Callable[[dict[str, Any], str], dict[str, Any]]:
    def settings(resource: dict[str, Any], state_path: str) -> dict[str, Any]:
        return {key: value for key, value in resource.items() if key not in fields}

    return settings


@dataclass(frozen=True)
class Kind:
    name: str  # the `resources.<name>` key
    rules: Rules
    bundle_only: tuple[str, ...]  # bundle settings of the resource, never sent to the API
    api_settings: Callable[[dict[str, Any], str], dict[str, Any]]  # (resolved resource, state_path) -> request body
    create: Callable[[WorkspaceClient, dict[str, Any]], str]
    read: Callable[[WorkspaceClient, str], dict[str, Any] | None]
    update: Callable[[WorkspaceClient, str, dict[str, Any]], str]  # returns the id after the update
    delete: Callable[[WorkspaceClient, str], None]
    remote_settings: Callable[[dict[str, Any]], dict[str, Any]]
    remote_state: Callable[[dict[str, Any]], dict[str, Any]]
    url: Callable[[str, str], str]  # (host, id)
    deploy_approval: str = ""  # the approval group's text when a deploy deletes or recreates one
    destroy_approval: str = ""

    def settings_names(self) -> frozenset[str]:
        return frozenset(self.rules.settings_type().__dataclass_fields__) | frozenset(self.bundle_only)


UC_BUNDLE_ONLY = ("grants", "lifecycle")


def _unity_catalog(name: str, rules: Rules, calls: tuple[Any, Any, Any, Any], remote_settings: Callable[[dict[str, Any]], dict[str, Any]],
                   page: str, approvals: tuple[str, str]) -> Kind:
    """A schema or volume: its id is its full name, its page `<host>/<page>/<catalog>/<schema>[/<volume>]`."""
    create, read, update, delete = calls
    return Kind(name=name, rules=rules, bundle_only=UC_BUNDLE_ONLY, api_settings=_without(UC_BUNDLE_ONLY),
                create=create, read=read, update=update, delete=delete, remote_settings=remote_settings, remote_state=dict,
                url=lambda host, full_name: f"{host}/{page}/{full_name.replace('.', '/')}",
                deploy_approval=approvals[0], destroy_approval=approvals[1])


PIPELINE_ONLY_REQUEST = ("allow_duplicate_names", "run_as", "parameters")  # sent on create/edit, never in `spec`

KINDS: dict[str, Kind] = {
    "jobs": Kind(
        name="jobs", rules=JOB_RULES, bundle_only=jobs.BUNDLE_ONLY_KEYS, api_settings=jobs.api_settings,
        create=jobs.create, read=jobs.get, update=_job_update, delete=jobs.delete,
        remote_settings=lambda remote: remote.get("settings") or {}, remote_state=_job_remote_state,
        url=lambda host, job_id: f"{host}/jobs/{job_id}",
    ),
    "pipelines": Kind(
        name="pipelines",
        rules=Rules(
            pipelines.settings_type,
            ignore_local={"deployment.version_id": "managed by the deployment metadata service", "id": DROP},
            ignore_remote={"deployment.version_id": "managed by the deployment metadata service", "id": DROP,
                           "run_as": "input_only", "allow_duplicate_names": "input_only",
                           "ingestion_definition.source_type": "spec:output_only"},
            backend_defaults={"storage": None, "clusters[*].node_type_id": None, "clusters[*].driver_node_type_id": None,
                              "clusters[*].enable_local_disk_encryption": None, "event_log.catalog": None, "event_log.schema": None},
            recreate={field: "immutable" for field in (
                "storage", "ingestion_definition.connection_name", "ingestion_definition.ingestion_gateway_id",
                "gateway_definition.connection_id", "gateway_definition.connection_name",
                "gateway_definition.gateway_storage_catalog", "gateway_definition.gateway_storage_schema",
                "ingestion_definition.ingest_from_uc_foreign_catalog")},
        ),
        bundle_only=("permissions", "lifecycle", *PIPELINE_ONLY_REQUEST), api_settings=_without(("permissions", "lifecycle")),
        create=pipelines.create, read=pipelines.read, update=pipelines.update, delete=pipelines.delete,
        remote_settings=pipelines.remote_settings, remote_state=pipelines.remote_state,
        url=lambda host, pipeline_id: f"{host}/pipelines/{pipeline_id}",
        deploy_approval=DEPLOY_PIPELINES, destroy_approval=DESTROY_PIPELINES,
    ),
    "schemas": _unity_catalog(
        "schemas",
        Rules(catalog.schema_type, provided_id={"name": "id_field", "catalog_name": "id_field"}, recreate={"storage_root": "immutable"},
              normalize_slash={"storage_root": "uc_strips_trailing_slash"}),
        (catalog.create_schema, catalog.read_schema, catalog.update_schema, catalog.delete_schema), catalog.schema_settings,
        "explore/data", (DEPLOY_SCHEMAS, DESTROY_SCHEMAS),
    ),
    "volumes": _unity_catalog(
        "volumes",
        Rules(catalog.volume_type, provided_id={"catalog_name": "id_field", "schema_name": "id_field"}, updatable_id={"name": "id_changes"},
              recreate={"storage_location": "immutable", "volume_type": "immutable"},
              normalize_slash={"storage_location": "uc_strips_trailing_slash"}, backend_defaults={"storage_location": None}),
        (catalog.create_volume, catalog.read_volume, catalog.update_volume, catalog.delete_volume), catalog.volume_settings,
        "explore/data/volumes", (DEPLOY_VOLUMES, DESTROY_VOLUMES),
    ),
}
ORDER = ("jobs", "pipelines", "schemas", "volumes")  # the approval groups' order is schemas, pipelines, volumes
APPROVAL_ORDER = ("schemas", "pipelines", "volumes")


def of(resource: str) -> Kind:
    """The kind of `resources.<kind>.<key>[.child]`."""
    return KINDS[resource.split(".")[1]]
