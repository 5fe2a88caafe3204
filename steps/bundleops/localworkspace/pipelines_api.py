"""Pipelines API 2.0 (Lakeflow Declarative Pipelines): create, edit, get, list, delete, stop,
start and read updates, list events; in memory for the server's lifetime.

Settings are answered through databricks-sdk's `PipelineSpec`, so a client reads back the real
shape. A pipeline's `state` follows its latest update: RUNNING while one is active, else IDLE.
How an update runs is the `UpdateRunner`'s business (pipeline_updates.py, pipeline_runner.py). Errors: a missing pipeline or update is 404 RESOURCE_DOES_NOT_EXIST
"The specified pipeline <id> was not found." (the SDK's NotFound); a second active update, a
duplicate name without `allow_duplicate_names`, or a stale `expected_last_modified` is 409
RESOURCE_CONFLICT; bad settings are 400 INVALID_PARAMETER_VALUE. Filters and orderings beyond
the documented simple ones answer 501 naming them. Deleting a pipeline stops its update and
drops the tables its updates wrote, as Databricks does for a Unity Catalog pipeline.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from bundleops.localworkspace.http import ApiError, Request, Response, Route
from bundleops.localworkspace.paging import page_body
from bundleops.localworkspace.pipeline_updates import UpdateRun, UpdateRunner

BASE = r"/api/2\.0/pipelines"
ID = r"/(?P<pipeline_id>[^/]+)"
REQUEST_ONLY = ("dry_run", "allow_duplicate_names", "expected_last_modified", "pipeline_id", "run_as", "parameters")
UPDATE_OPTIONS = ("full_refresh", "refresh_selection", "full_refresh_selection", "validate_only", "cause")
DELETE_WAIT_SECONDS = 40.0  # a stopped update's process gets SIGKILL after 30 s
_LIKE = re.compile(r"\s*name\s+LIKE\s+'([^']*)'\s*", re.IGNORECASE)
_NOTEBOOK = re.compile(r"\s*notebook\s*=\s*'([^']*)'\s*", re.IGNORECASE)
_LEVEL = re.compile(r"\s*level\s*(?:=\s*'(\w+)'|in\s*\(([^)]*)\))\s*", re.IGNORECASE)


@dataclass
class StoredPipeline:
    pipeline_id: str
    creator: str
    spec: dict[str, Any]
    last_modified: int
    run_as: dict[str, Any] | None = None
    parameters: dict[str, str] | None = None
    updates: list[UpdateRun] = field(default_factory=list)  # newest last
    events: list[dict[str, Any]] = field(default_factory=list)  # oldest first

    @property
    def active_update(self) -> UpdateRun | None:
        return self.updates[-1] if self.updates and self.updates[-1].active else None

    @property
    def state(self) -> str:
        return "RUNNING" if self.active_update else "IDLE"

    @property
    def run_as_user_name(self) -> str:
        run_as = self.run_as or {}
        return run_as.get("service_principal_name") or run_as.get("user_name") or self.creator

    def latest_updates(self) -> list[dict[str, Any]]:
        return [{"update_id": u.update_id, "state": u.state, "creation_time": str(u.creation_time)} for u in reversed(self.updates[-5:])]

    def status(self) -> dict[str, Any]:
        """The `PipelineStateInfo` of `list_pipelines`."""
        from databricks.sdk.service.pipelines import PipelineStateInfo

        return PipelineStateInfo.from_dict({
            "pipeline_id": self.pipeline_id, "name": self.spec.get("name"), "state": self.state,
            "creator_user_name": self.creator, "run_as_user_name": self.run_as_user_name, "latest_updates": self.latest_updates() or None,
        }).as_dict()

    def as_dict(self) -> dict[str, Any]:
        from databricks.sdk.service.pipelines import GetPipelineResponse

        return GetPipelineResponse.from_dict({
            **self.status(), "spec": self.spec, "last_modified": self.last_modified, "run_as": self.run_as,
            "parameters": self.parameters, "effective_publishing_mode": "DEFAULT_PUBLISHING_MODE",
        }).as_dict()


def _update_info(run: UpdateRun) -> dict[str, Any]:
    from databricks.sdk.service.pipelines import UpdateInfo

    return UpdateInfo.from_dict({
        **run.request, "pipeline_id": run.pipeline_id, "update_id": run.update_id, "state": run.state,
        "creation_time": run.creation_time, "config": run.spec,
    }).as_dict()


def _spec(document: dict[str, Any], pipeline_id: str) -> dict[str, Any]:
    """The settings to keep: validated as the API does, answered through `PipelineSpec`."""
    from databricks.sdk.service.pipelines import PipelineSpec

    if document.get("target") and document.get("schema"):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "Only one of target and schema may be set")
    for key in ("target", "schema"):
        value = document.get(key)
        if value is not None and (not isinstance(value, str) or "." in value):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"target_schema_name {value!r} is not a valid name: set the catalog in `catalog` and only the schema in `{key}`")
    spec = {key: value for key, value in document.items() if key not in REQUEST_ONLY}
    spec["id"] = pipeline_id
    if not spec.get("catalog") and not spec.get("storage"):
        spec["storage"] = f"dbfs:/pipelines/{pipeline_id}"  # Hive metastore mode: the API picks a storage location
    return PipelineSpec.from_dict(spec).as_dict()


class Pipelines:
    def __init__(self, runner: UpdateRunner) -> None:
        self.runner = runner
        self._pipelines: dict[str, StoredPipeline] = {}
        self._lock = threading.RLock()

    def routes(self) -> list[Route]:
        return [
            Route("POST", BASE, self.create),
            Route("GET", BASE, self.list_pipelines),
            Route("GET", BASE + ID, self.get),
            Route("PUT", BASE + ID, self.edit),
            Route("DELETE", BASE + ID, self.delete),
            Route("POST", BASE + ID + "/stop", self.stop),
            Route("POST", BASE + ID + "/updates", self.start_update),
            Route("GET", BASE + ID + "/updates", self.list_updates),
            Route("GET", BASE + ID + r"/updates/(?P<update_id>[^/]+)", self.get_update),
            Route("GET", BASE + ID + "/events", self.list_events),
        ]

    def _find(self, pipeline_id: str) -> StoredPipeline:
        with self._lock:
            pipeline = self._pipelines.get(pipeline_id)
        if pipeline is None:
            raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"The specified pipeline {pipeline_id} was not found.")
        return pipeline

    def exists(self, pipeline_id: str) -> str:
        """The id of an existing pipeline, or the API's 404 (for the Permissions API beside this one)."""
        return self._find(pipeline_id).pipeline_id

    def _check_name(self, document: dict[str, Any], pipeline_id: str) -> None:
        name = document.get("name")
        if document.get("allow_duplicate_names") or not name:
            return
        if any(p.spec.get("name") == name and p.pipeline_id != pipeline_id for p in self._pipelines.values()):
            raise ApiError(409, "RESOURCE_CONFLICT", f"Pipeline name '{name}' is already used by another pipeline; set allow_duplicate_names to create it anyway")

    def create(self, request: Request) -> Response:
        document = request.json()
        pipeline_id = str(uuid.uuid4())
        spec = _spec(document, pipeline_id)
        if document.get("dry_run"):
            return Response(body={"effective_settings": spec})
        with self._lock:
            self._check_name(document, pipeline_id)
            self._pipelines[pipeline_id] = StoredPipeline(
                pipeline_id, request.principal or "", spec, int(time.time() * 1000), document.get("run_as"), document.get("parameters"))
        return Response(body={"pipeline_id": pipeline_id})

    def edit(self, request: Request) -> Response:
        document = request.json()
        with self._lock:
            pipeline = self._find(request.params["pipeline_id"])
            expected = document.get("expected_last_modified")
            if expected is not None and int(expected) != pipeline.last_modified:
                raise ApiError(409, "RESOURCE_CONFLICT", f"The pipeline {pipeline.pipeline_id} was modified at {pipeline.last_modified}, after {expected}")
            self._check_name(document, pipeline.pipeline_id)
            pipeline.spec = _spec(document, pipeline.pipeline_id)
            pipeline.run_as, pipeline.parameters = document.get("run_as", pipeline.run_as), document.get("parameters")
            pipeline.last_modified = int(time.time() * 1000)
        return Response(body={})

    def get(self, request: Request) -> Response:
        with self._lock:
            return Response(body=self._find(request.params["pipeline_id"]).as_dict())

    def list_pipelines(self, request: Request) -> Response:
        keep = _pipeline_filter(request.query.get("filter"))
        with self._lock:
            found = [p.status() for p in self._pipelines.values() if keep(p)]
        key, descending = _order(request.query.get("order_by"), ("name", "id"), default="name asc")
        found.sort(key=lambda status: status.get("pipeline_id" if key == "id" else "name") or "", reverse=descending)
        return Response(body=page_body("statuses", found, request.query, default_size=25, max_size=100))

    def delete(self, request: Request) -> Response:
        with self._lock:
            pipeline = self._find(request.params["pipeline_id"])
            active = pipeline.active_update
            del self._pipelines[pipeline.pipeline_id]
        if active is not None:
            self.runner.stop(active)
            active.ended.wait(DELETE_WAIT_SECONDS)
        self.runner.delete(pipeline.pipeline_id)
        return Response(body={})

    def stop(self, request: Request) -> Response:
        with self._lock:
            active = self._find(request.params["pipeline_id"]).active_update
        if active is not None:
            self.runner.stop(active)
        return Response(body={})

    def start_update(self, request: Request) -> Response:
        document = request.json()
        options = {key: document[key] for key in UPDATE_OPTIONS if document.get(key) is not None}
        if options.get("full_refresh") and (options.get("refresh_selection") or options.get("full_refresh_selection")):
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "full_refresh cannot be combined with refresh_selection or full_refresh_selection")
        unsupported = sorted(set(document) - set(UPDATE_OPTIONS))
        if unsupported:
            raise ApiError(501, "NOT_IMPLEMENTED", f"the local workspace does not implement StartUpdate field(s) {', '.join(unsupported)}")
        return Response(body={"update_id": self.start(request.params["pipeline_id"], {"cause": "API_CALL", **options}).update_id})

    def start(self, pipeline_id: str, options: dict[str, Any]) -> UpdateRun:
        """Start an update of the pipeline (the API's start_update, a job's pipeline_task) and hand it to the runner."""
        with self._lock:
            pipeline = self._find(pipeline_id)
            if pipeline.active_update is not None:
                raise ApiError(409, "RESOURCE_CONFLICT", f"An active update {pipeline.active_update.update_id} of pipeline {pipeline.pipeline_id} already exists")
            run = UpdateRun(
                pipeline.pipeline_id, pipeline.spec.get("name"), str(uuid.uuid4()), dict(pipeline.spec),
                options, int(time.time() * 1000), pipeline.events, self._lock,
            )
            pipeline.updates.append(run)
        self.runner.start(run)
        return run

    def _update(self, pipeline: StoredPipeline, update_id: str) -> UpdateRun:
        for run in pipeline.updates:
            if run.update_id == update_id:
                return run
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"The specified update {update_id} was not found.")

    def get_update(self, request: Request) -> Response:
        with self._lock:
            pipeline = self._find(request.params["pipeline_id"])
            return Response(body={"update": _update_info(self._update(pipeline, request.params["update_id"]))})

    def list_updates(self, request: Request) -> Response:
        if request.query.get("until_update_id"):
            raise ApiError(501, "NOT_IMPLEMENTED", "the local workspace does not implement until_update_id of ListUpdates")
        with self._lock:
            found = [_update_info(run) for run in reversed(self._find(request.params["pipeline_id"]).updates)]
        return Response(body=page_body("updates", found, request.query, default_size=25, max_size=100))

    def list_events(self, request: Request) -> Response:
        levels = _event_levels(request.query.get("filter"))
        with self._lock:
            found = [event for event in self._find(request.params["pipeline_id"]).events if levels is None or event["level"] in levels]
        if _order(request.query.get("order_by"), ("timestamp",), default="timestamp desc")[1]:
            found.reverse()  # the log is kept oldest first
        return Response(body=page_body("events", found, request.query, default_size=100, max_size=250))


def _pipeline_filter(text: str | None) -> Callable[[StoredPipeline], bool]:
    """The documented filters of ListPipelines: `name LIKE '<pattern>'` and `notebook='<path>'`."""
    if not text:
        return lambda pipeline: True
    like, notebook = _LIKE.fullmatch(text), _NOTEBOOK.fullmatch(text)
    if like:
        pattern = re.compile("".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in like.group(1)), re.IGNORECASE)
        return lambda pipeline: bool(pattern.fullmatch(pipeline.spec.get("name") or ""))
    if notebook:
        path = notebook.group(1)
        return lambda pipeline: any((library.get("notebook") or {}).get("path") == path for library in pipeline.spec.get("libraries") or [])
    raise ApiError(501, "NOT_IMPLEMENTED", f"the local workspace supports only the filters name LIKE '...' and notebook='...' of ListPipelines, not {text!r}")


def _event_levels(text: str | None) -> set[str] | None:
    """The level filters of ListPipelineEvents (`level='ERROR'`, `level in ('WARN', 'ERROR')`); None: all."""
    if not text:
        return None
    found = _LEVEL.fullmatch(text)
    if not found:
        raise ApiError(501, "NOT_IMPLEMENTED", f"the local workspace supports only level filters of ListPipelineEvents, not {text!r}")
    return {found.group(1).upper()} if found.group(1) else {part.strip(" '\"").upper() for part in found.group(2).split(",")}


def _order(order_by: str | None, fields: tuple[str, ...], *, default: str) -> tuple[str, bool]:
    """`order_by` as the list endpoints take it, one `<field> [asc|desc]`: (field, descending)."""
    found = re.fullmatch(r"\s*(\w+)(?:\s+(asc|desc))?\s*", order_by or default, re.IGNORECASE)
    if not found or found.group(1).lower() not in fields:
        raise ApiError(501, "NOT_IMPLEMENTED", f"the local workspace supports order_by {' or '.join(fields)} (asc|desc), not {order_by!r}")
    return found.group(1).lower(), (found.group(2) or "asc").lower() == "desc"
