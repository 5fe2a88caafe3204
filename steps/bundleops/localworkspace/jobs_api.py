"""Jobs API 2.2 (create, reset, delete, get, list) and job permissions, in memory.

Settings are stored as given and answered through databricks-sdk's `JobSettings`, so what a
client reads back has the real API's shape (the bundle `deployment` block and `edit_mode`
included). A missing job is the real answer: 400 INVALID_PARAMETER_VALUE "Job <id> does not
exist.", which the SDK turns into NotFound.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bundleops.localworkspace.http import ApiError, Request, Response, Route

PERMISSION_LEVELS = {"CAN_VIEW", "CAN_MANAGE_RUN", "IS_OWNER", "CAN_MANAGE"}
PRINCIPAL_KEYS = ("user_name", "group_name", "service_principal_name")


@dataclass
class StoredJob:
    job_id: int
    creator: str
    created_time: int
    settings: dict[str, Any]
    acl: list[dict[str, str]] = field(default_factory=list)

    @property
    def run_as(self) -> str:
        run_as = self.settings.get("run_as") or {}
        return run_as.get("service_principal_name") or run_as.get("user_name") or self.creator

    def as_dict(self) -> dict[str, Any]:
        from databricks.sdk.service.jobs import Job, JobSettings

        return Job(
            job_id=self.job_id, creator_user_name=self.creator, run_as_user_name=self.run_as,
            created_time=self.created_time, settings=JobSettings.from_dict(with_backend_defaults(self.settings)),
        ).as_dict()


def with_backend_defaults(settings: dict[str, Any]) -> dict[str, Any]:
    """The settings as a workspace answers them: the fields it fills in where the client sent none.

    Empty `email_notifications`/`webhook_notifications` and `timeout_seconds: 0` per job; per task
    empty `email_notifications`, `run_if: ALL_SUCCESS`, `timeout_seconds: 0`, and a notebook's
    `source` (`WORKSPACE`, `GIT` with a `git_source`): the answers databricks/cli's fake server
    gives (libs/testserver/jobs.go jobFixUps, setSourceIfNotSet), recorded in its acceptance
    tests' plans. Only the answer: what was stored (and what runs) is what was sent.
    """
    answered = {"email_notifications": {}, "webhook_notifications": {}, "timeout_seconds": 0, **settings}
    source = "GIT" if settings.get("git_source") else "WORKSPACE"
    tasks = []
    for task in settings.get("tasks") or []:
        task = {"email_notifications": {}, "run_if": "ALL_SUCCESS", "timeout_seconds": 0, **task}
        if isinstance(task.get("notebook_task"), dict):
            task["notebook_task"] = {"source": source, **task["notebook_task"]}
        tasks.append(task)
    if tasks:
        answered["tasks"] = tasks
    return answered


def parse_id(value: Any, field: str) -> int:
    """A job or run id as the API takes it (a number, or a string of one)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Invalid {field}: {value!r}") from None


class JobStore:
    def __init__(self) -> None:
        self._jobs: dict[int, StoredJob] = {}
        self._ids = itertools.count(1001)
        self._lock = threading.Lock()

    def get(self, job_id: int) -> StoredJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Job {job_id} does not exist.")
        return job

    def routes(self) -> list[Route]:
        return [
            Route("POST", r"/api/2\.[12]/jobs/create", self.create),
            Route("POST", r"/api/2\.[12]/jobs/reset", self.reset),
            Route("POST", r"/api/2\.[12]/jobs/delete", self.delete),
            Route("GET", r"/api/2\.[12]/jobs/get", self.get_job),
            Route("GET", r"/api/2\.[12]/jobs/list", self.list_jobs),
            Route("PUT", r"/api/2\.0/permissions/jobs/(?P<job_id>\d+)", self.set_permissions),
            Route("GET", r"/api/2\.0/permissions/jobs/(?P<job_id>\d+)", self.get_permissions),
        ]

    def create(self, request: Request) -> Response:
        from databricks.sdk.service.jobs import CreateResponse

        settings = _valid_settings(request.json())
        with self._lock:
            job_id = next(self._ids)
            self._jobs[job_id] = StoredJob(job_id, request.principal or "", int(time.time() * 1000), settings)
        return Response(body=CreateResponse(job_id=job_id).as_dict())

    def reset(self, request: Request) -> Response:
        document = request.json()
        job = self.get(parse_id(document.get("job_id"), "job_id"))
        job.settings = _valid_settings(document.get("new_settings") or {})
        return Response(body={})

    def delete(self, request: Request) -> Response:
        job = self.get(parse_id(request.json().get("job_id"), "job_id"))
        with self._lock:
            self._jobs.pop(job.job_id, None)
        return Response(body={})

    def get_job(self, request: Request) -> Response:
        return Response(body=self.get(parse_id(request.query.get("job_id"), "job_id")).as_dict())

    def list_jobs(self, request: Request) -> Response:
        name = request.query.get("name")
        with self._lock:
            jobs = [job for job in self._jobs.values() if name is None or job.settings.get("name") == name]
        expand = request.query.get("expand_tasks", "false").lower() == "true"
        listed = []
        for job in jobs:
            entry = job.as_dict()
            if not expand:
                entry["settings"].pop("tasks", None)
                entry["settings"].pop("job_clusters", None)
            listed.append(entry)
        return Response(body={"jobs": listed, "has_more": False} if listed else {"has_more": False})

    def set_permissions(self, request: Request) -> Response:
        job = self.get(int(request.params["job_id"]))
        acl = request.json().get("access_control_list") or []
        for entry in acl:
            principals = [key for key in PRINCIPAL_KEYS if entry.get(key)]
            if len(principals) != 1 or entry.get("permission_level") not in PERMISSION_LEVELS:
                raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Invalid access control entry {entry}: one of {', '.join(PRINCIPAL_KEYS)} and a permission_level in {sorted(PERMISSION_LEVELS)}")
        if sum(1 for entry in acl if entry.get("permission_level") == "IS_OWNER") > 1:
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "A job can have only one owner")
        job.acl = acl
        return self.get_permissions(request)

    def get_permissions(self, request: Request) -> Response:
        from databricks.sdk.service.jobs import JobAccessControlResponse, JobPermission, JobPermissionLevel, JobPermissions

        job = self.get(int(request.params["job_id"]))
        entries = [
            JobAccessControlResponse(
                **{key: entry[key] for key in PRINCIPAL_KEYS if key in entry},
                all_permissions=[JobPermission(permission_level=JobPermissionLevel(entry["permission_level"]), inherited=False)],
            )
            for entry in job.acl
        ]
        return Response(body=JobPermissions(object_id=f"/jobs/{job.job_id}", object_type="job", access_control_list=entries).as_dict())


def _valid_settings(settings: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(settings, dict) or not settings.get("name"):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "Job settings need a name")
    keys = [task.get("task_key") for task in settings.get("tasks") or []]
    if any(not key for key in keys) or len(set(keys)) != len(keys):
        raise ApiError(400, "INVALID_PARAMETER_VALUE", "Every task needs a unique task_key")
    for task in settings.get("tasks") or []:
        for dependency in task.get("depends_on") or []:
            if dependency.get("task_key") not in keys:
                raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Task {task['task_key']} depends on {dependency.get('task_key')}, which is not a task of this job")
    return settings
