"""Jobs as the deploy sends them: settings with the `deployment` block, and the REST calls.

Every job is created or reset with `deployment: {kind: BUNDLE, metadata_file_path:
<state_path>/metadata.json}`, `edit_mode: UI_LOCKED`, `format: MULTI_TASK` and a queue
(the real CLI's direct engine sends the same), through `POST /api/2.2/jobs/create|reset|delete`.
Permissions go to `PUT /api/2.0/permissions/jobs/<id>` as permissions.py resolves them: the
declared entries in their order, one per principal, and the deployer as owner (or CAN_MANAGE when
someone else owns the job), as the real CLI sends them.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

BUNDLE_ONLY_KEYS = ("permissions", "lifecycle")  # bundle settings of a job, never sent to the Jobs API
REMOTE_FIELDS = ("created_time", "creator_user_name", "effective_budget_policy_id", "effective_usage_policy_id",
                 "job_id", "run_as_user_name", "trigger_details", "trigger_state")


def _numeric_job_ids(node: Any) -> Any:
    """`job_id: ${resources.jobs.x.id}` resolves to the id string; the Jobs API wants a number there.
    A field left empty (`tasks:`, kept as null by `validate -o json`) is not sent, as the real CLI's
    typed settings leave it unset (acceptance validate/empty_tasks)."""
    if isinstance(node, dict):
        return {
            key: int(value) if key == "job_id" and isinstance(value, str) and value.isdigit() else _numeric_job_ids(value)
            for key, value in node.items()
            if value is not None
        }
    if isinstance(node, list):
        return [_numeric_job_ids(item) for item in node]
    return node


def api_settings(job: dict[str, Any], state_path: str) -> dict[str, Any]:
    settings = {key: _numeric_job_ids(copy.deepcopy(value)) for key, value in job.items() if key not in BUNDLE_ONLY_KEYS and value is not None}
    settings["deployment"] = {"kind": "BUNDLE", "metadata_file_path": f"{state_path}/metadata.json"}
    settings["edit_mode"] = "UI_LOCKED"
    settings["format"] = "MULTI_TASK"
    settings.setdefault("queue", {"enabled": True})
    return settings


def get(client: WorkspaceClient, job_id: str) -> dict[str, Any] | None:
    """The job as `GET /api/2.2/jobs/get` answers, or None when it no longer exists."""
    from databricks.sdk.errors import NotFound

    try:
        return dict(client.api_client.do("GET", "/api/2.2/jobs/get", query={"job_id": job_id}))
    except NotFound:
        return None


def create(client: WorkspaceClient, settings: dict[str, Any]) -> str:
    response = client.api_client.do("POST", "/api/2.2/jobs/create", body=settings)
    return str(response["job_id"])


def reset(client: WorkspaceClient, job_id: str, settings: dict[str, Any]) -> None:
    client.api_client.do("POST", "/api/2.2/jobs/reset", body={"job_id": int(job_id), "new_settings": settings})


def delete(client: WorkspaceClient, job_id: str) -> None:
    """Delete the job; one already deleted by hand counts as deleted."""
    from databricks.sdk.errors import NotFound

    try:
        client.api_client.do("POST", "/api/2.2/jobs/delete", body={"job_id": int(job_id)})
    except NotFound:
        pass


def has_active_runs(client: WorkspaceClient, job_id: str) -> bool:
    response = client.api_client.do("GET", "/api/2.2/jobs/runs/list", query={"job_id": job_id, "active_only": "true", "limit": 1})
    return bool(response.get("runs"))
