"""Pipeline permissions, `PUT/GET /api/2.0/permissions/pipelines/<id>`, as the Permissions API answers them.

Kept beside the Pipelines API (pipelines_api.py), which says whether a pipeline exists: a
missing one is its 404. The access control list is replaced by each PUT and recorded, not
enforced; levels are the pipeline ones (CAN_VIEW, CAN_RUN, CAN_MANAGE, IS_OWNER), one owner at most.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from bundleops.localworkspace.http import ApiError, Request, Response, Route

if TYPE_CHECKING:
    from bundleops.localworkspace.pipelines_api import Pipelines

LEVELS = ("CAN_VIEW", "CAN_RUN", "CAN_MANAGE", "IS_OWNER")
PRINCIPAL_KEYS = ("user_name", "group_name", "service_principal_name")
PATH = r"/api/2\.0/permissions/pipelines/(?P<pipeline_id>[^/]+)"


class PipelinePermissions:
    def __init__(self, pipelines: Pipelines) -> None:
        self.pipelines = pipelines
        self._acls: dict[str, list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def routes(self) -> list[Route]:
        return [Route("PUT", PATH, self.set_permissions), Route("GET", PATH, self.get_permissions)]

    def set_permissions(self, request: Request) -> Response:
        pipeline_id = self.pipelines.exists(request.params["pipeline_id"])
        acl = request.json().get("access_control_list") or []
        for entry in acl:
            if len([key for key in PRINCIPAL_KEYS if entry.get(key)]) != 1 or entry.get("permission_level") not in LEVELS:
                raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Invalid access control entry {entry}: one of {', '.join(PRINCIPAL_KEYS)} and a permission_level in {list(LEVELS)}")
        if sum(1 for entry in acl if entry.get("permission_level") == "IS_OWNER") > 1:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "A pipeline can have only one owner")
        with self._lock:
            self._acls[pipeline_id] = acl
        return self.get_permissions(request)

    def get_permissions(self, request: Request) -> Response:
        from databricks.sdk.service.pipelines import PipelinePermissions as Answer

        pipeline_id = self.pipelines.exists(request.params["pipeline_id"])
        with self._lock:
            acl = list(self._acls.get(pipeline_id, []))
        entries = [{**{key: entry[key] for key in PRINCIPAL_KEYS if key in entry},
                    "all_permissions": [{"permission_level": entry["permission_level"], "inherited": False}]} for entry in acl]
        return Response(body=Answer.from_dict({"object_id": f"/pipelines/{pipeline_id}", "object_type": "pipelines", "access_control_list": entries}).as_dict())
