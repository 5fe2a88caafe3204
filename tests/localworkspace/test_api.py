"""The local workspace's REST API through the real databricks-sdk: shapes, errors and refusals."""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests


def test_unimplemented_paths_answer_501_naming_them(client: Any) -> None:
    from databricks.sdk.errors import NotImplemented as SdkNotImplemented

    with pytest.raises(SdkNotImplemented, match="does not implement GET /api/2.0/clusters/list"):
        client.api_client.do("GET", "/api/2.0/clusters/list")


def test_requests_without_a_token_are_unauthenticated(local_workspace) -> None:  # noqa: ANN001
    response = requests.get(f"{local_workspace.host}/api/2.0/preview/scim/v2/Me", timeout=10)
    assert response.status_code == 401 and response.json()["error_code"] == "UNAUTHENTICATED"


def test_scim_me_of_a_service_principal_is_its_application_id(client: Any, local_workspace) -> None:  # noqa: ANN001
    me = client.current_user.me()
    assert (me.user_name, me.display_name, me.active) == (local_workspace.client_id, "bundleops-ci", True)


def test_workspace_files_notebooks_and_folders(client: Any) -> None:
    from databricks.sdk.errors import NotFound, ResourceAlreadyExists
    from databricks.sdk.service.workspace import ImportFormat, Language, ObjectType

    folder = "/Workspace/Shared/api-test"
    client.workspace.mkdirs(folder)
    client.workspace.upload(f"{folder}/nb.py", b"# Databricks notebook source\nprint(1)\n", format=ImportFormat.AUTO)
    client.workspace.upload(f"{folder}/data.txt", b"plain", format=ImportFormat.AUTO)
    client.workspace.upload(f"{folder}/src", b"print(2)\n", language=Language.PYTHON)
    listed = {info.path: (info.object_type, info.language) for info in client.workspace.list(folder)}
    assert listed == {
        "/Shared/api-test/data.txt": (ObjectType.FILE, None),
        "/Shared/api-test/nb": (ObjectType.NOTEBOOK, Language.PYTHON),
        "/Shared/api-test/src": (ObjectType.NOTEBOOK, Language.PYTHON),
    }
    assert client.workspace.download(f"{folder}/data.txt").read() == b"plain"
    with pytest.raises(ResourceAlreadyExists):
        client.workspace.upload(f"{folder}/data.txt", b"again", format=ImportFormat.AUTO)
    with pytest.raises(Exception, match="is not empty"):
        client.workspace.delete(folder)
    client.workspace.delete(folder, recursive=True)
    with pytest.raises(NotFound, match=r"Path \(/Shared/api-test\) doesn't exist"):
        client.workspace.get_status(folder)


def test_import_file_without_overwrite_is_exclusive(client: Any) -> None:
    from databricks.sdk.errors import NotFound, ResourceAlreadyExists

    path = "Workspace%2FShared%2Flock-test%2Fdeploy.lock"
    with pytest.raises(NotFound):  # the real CLI creates the parent folder and retries
        client.api_client.do("POST", f"/api/2.0/workspace-files/import-file/{path}", query={"overwrite": "false"}, data=b"{}")
    client.workspace.mkdirs("/Workspace/Shared/lock-test")
    client.api_client.do("POST", f"/api/2.0/workspace-files/import-file/{path}", query={"overwrite": "false"}, data=b"{}")
    with pytest.raises(ResourceAlreadyExists):
        client.api_client.do("POST", f"/api/2.0/workspace-files/import-file/{path}", query={"overwrite": "false"}, data=b"{}")


def test_volume_files_upload_list_download_delete(client: Any) -> None:
    from databricks.sdk.errors import NotFound

    client.files.upload("/Volumes/main/ci/reports/run-1/junit.xml", io.BytesIO(b"<testsuites/>"), overwrite=True)
    entries = list(client.files.list_directory_contents("/Volumes/main/ci/reports/run-1"))
    assert [(entry.name, entry.is_directory, entry.file_size) for entry in entries] == [("junit.xml", False, 13)]
    assert client.files.download("/Volumes/main/ci/reports/run-1/junit.xml").contents.read() == b"<testsuites/>"
    client.files.delete("/Volumes/main/ci/reports/run-1/junit.xml")
    with pytest.raises(NotFound):
        client.files.download("/Volumes/main/ci/reports/run-1/junit.xml")


def test_unity_catalog_schemas(client: Any) -> None:
    from databricks.sdk.errors import NotFound, ResourceConflict

    created = client.schemas.create(name="tmp_1", catalog_name="staging", properties={"RemoveAfter": "2026-12-01T00:00:00Z"})
    assert created.full_name == "staging.tmp_1"
    with pytest.raises(ResourceConflict, match="Schema 'staging.tmp_1' already exists"):
        client.schemas.create(name="tmp_1", catalog_name="staging")
    assert [schema.full_name for schema in client.schemas.list("staging")] == ["staging.tmp_1"]
    assert client.schemas.get("staging.tmp_1").properties == {"RemoveAfter": "2026-12-01T00:00:00Z"}
    client.schemas.delete("staging.tmp_1")
    with pytest.raises(NotFound):
        client.schemas.get("staging.tmp_1")


def test_jobs_crud_and_permissions(client: Any, local_workspace) -> None:  # noqa: ANN001
    from databricks.sdk.errors import NotFound
    from databricks.sdk.service.jobs import JobSettings, SparkPythonTask, Task

    job_id = client.jobs.create(name="crud", tasks=[Task(task_key="t", spark_python_task=SparkPythonTask(python_file="/Workspace/Shared/x.py"))]).job_id
    job = client.jobs.get(job_id)
    assert (job.settings.name, job.creator_user_name, job.run_as_user_name) == ("crud", local_workspace.client_id, local_workspace.client_id)
    client.jobs.reset(job_id, JobSettings(name="crud-renamed", tasks=job.settings.tasks))
    assert client.jobs.get(job_id).settings.name == "crud-renamed"
    acl = client.api_client.do("PUT", f"/api/2.0/permissions/jobs/{job_id}", body={"access_control_list": [
        {"service_principal_name": local_workspace.client_id, "permission_level": "IS_OWNER"}, {"group_name": "users", "permission_level": "CAN_VIEW"}]})
    assert [entry["all_permissions"][0]["permission_level"] for entry in acl["access_control_list"]] == ["IS_OWNER", "CAN_VIEW"]
    client.jobs.delete(job_id)
    with pytest.raises(NotFound, match=f"Job {job_id} does not exist"):
        client.jobs.get(job_id)


def test_the_request_log_records_each_call_and_its_answer_once_turned_on(client: Any, local_workspace) -> None:  # noqa: ANN001
    from databricks.sdk.errors import NotFound

    client.workspace.mkdirs("/Workspace/Shared/logged")
    log = local_workspace.dispatcher.record()
    with pytest.raises(NotFound):
        client.workspace.get_status("/Workspace/Shared/logged/missing.txt")
    client.api_client.do("POST", "/api/2.0/workspace-files/import-file/Workspace/Shared/logged/a.txt", query={"overwrite": "false"}, data=b"a")
    assert local_workspace.dispatcher.stop_recording() is log
    client.workspace.get_status("/Workspace/Shared/logged/a.txt")
    calls = [(e.request.method, e.request.path, e.request.query, e.request.body, e.status, e.error_code) for e in log if e.request.path.startswith("/api/")]
    assert calls == [
        ("GET", "/api/2.0/workspace/get-status", {"path": "/Workspace/Shared/logged/missing.txt"}, b"", 404, "RESOURCE_DOES_NOT_EXIST"),
        ("POST", "/api/2.0/workspace-files/import-file/Workspace/Shared/logged/a.txt", {"overwrite": "false"}, b"a", 200, None),
    ]
    assert local_workspace.dispatcher.record() == [], "a new recording starts empty"
    assert local_workspace.dispatcher.stop_recording() == []


def test_a_folder_s_permissions_say_that_everyone_may_write(client: Any) -> None:
    """No access lists on folders here: the Permissions API answers `users` CAN_MANAGE, inherited from the root, as for /Workspace/Shared."""
    from databricks.sdk.errors import NotFound

    client.workspace.mkdirs("/Workspace/Shared/team")
    folder = client.workspace.get_status("/Workspace/Shared/team")
    acl = client.workspace.get_permissions("directories", str(folder.object_id)).access_control_list or []
    assert [(entry.group_name, [(grant.permission_level.value, grant.inherited) for grant in entry.all_permissions or []]) for entry in acl] == [("users", [("CAN_MANAGE", True)])]
    with pytest.raises(NotFound):
        client.workspace.get_permissions("directories", "1")
