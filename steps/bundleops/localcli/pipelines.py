"""Pipelines as the deploy sends them, and the Pipelines API calls (databricks-sdk's client).

A pipeline is created with its settings and the `deployment` block (annotated by defaults.py),
edited in place with `PUT /api/2.0/pipelines/<id>` (the whole settings, as the real CLI's direct
engine sends them) and deleted with `DELETE /api/2.0/pipelines/<id>`; the plan reads it back with
`GET /api/2.0/pipelines/<id>` and compares the answer's `spec` with the configuration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

BASE = "/api/2.0/pipelines"
# Beside `spec` in the GET answer; the real CLI's remote state shows them with the settings.
REMOTE_FIELDS = ("creator_user_name", "effective_publishing_mode", "last_modified", "pipeline_id", "run_as_user_name", "state")


def settings_type() -> Any:
    from databricks.sdk.service.pipelines import PipelineSpec

    return PipelineSpec


def create(client: WorkspaceClient, settings: dict[str, Any]) -> str:
    return str(client.api_client.do("POST", BASE, body=settings)["pipeline_id"])


def read(client: WorkspaceClient, pipeline_id: str) -> dict[str, Any] | None:
    """The pipeline as `GET` answers, or None when it no longer exists."""
    from databricks.sdk.errors import NotFound

    try:
        return dict(client.api_client.do("GET", f"{BASE}/{pipeline_id}"))
    except NotFound:
        return None


def update(client: WorkspaceClient, pipeline_id: str, settings: dict[str, Any]) -> str:
    client.api_client.do("PUT", f"{BASE}/{pipeline_id}", body={**settings, "id": pipeline_id, "pipeline_id": pipeline_id})
    return pipeline_id


def delete(client: WorkspaceClient, pipeline_id: str) -> None:
    from databricks.sdk.errors import NotFound

    try:
        client.api_client.do("DELETE", f"{BASE}/{pipeline_id}")
    except NotFound:
        pass


def remote_settings(remote: dict[str, Any]) -> dict[str, Any]:
    """The part of the answer the configuration describes: its `spec` without the id."""
    return {key: value for key, value in (remote.get("spec") or {}).items() if key != "id"}


def remote_state(remote: dict[str, Any]) -> dict[str, Any]:
    return {**(remote.get("spec") or {}), **{name: remote[name] for name in REMOTE_FIELDS if name in remote}}
