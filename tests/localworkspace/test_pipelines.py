"""The local workspace's Pipelines API through the real databricks-sdk: settings, lists, updates, events."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def local_workspace(fresh_local_workspace):  # noqa: ANN001,ANN201 - each test lists its own pipelines
    return fresh_local_workspace


def _libraries(path: str) -> list[Any]:
    from databricks.sdk.service.pipelines import FileLibrary, PipelineLibrary

    return [PipelineLibrary(file=FileLibrary(path=path))]


def test_pipeline_create_get_edit_delete(client: Any, local_workspace: Any) -> None:
    from databricks.sdk.errors import NotFound, ResourceConflict
    from databricks.sdk.service.pipelines import PipelineState

    created = client.pipelines.create(name="orders", catalog="main", schema="sales", libraries=_libraries("/Workspace/src/orders.py"), development=True)
    pipeline = client.pipelines.get(created.pipeline_id)
    assert (pipeline.name, pipeline.state, pipeline.creator_user_name, pipeline.latest_updates) == ("orders", PipelineState.IDLE, local_workspace.client_id, [])
    assert (pipeline.spec.id, pipeline.spec.catalog, pipeline.spec.schema, pipeline.spec.libraries[0].file.path) == (created.pipeline_id, "main", "sales", "/Workspace/src/orders.py")
    with pytest.raises(ResourceConflict, match="already used by another pipeline"):
        client.pipelines.create(name="orders", catalog="main", schema="other")
    client.pipelines.update(created.pipeline_id, name="orders_v2", catalog="main", schema="gold", expected_last_modified=pipeline.last_modified)
    edited = client.pipelines.get(created.pipeline_id)
    assert (edited.name, edited.spec.schema, edited.spec.development) == ("orders_v2", "gold", None)
    with pytest.raises(ResourceConflict, match="was modified at"):
        client.pipelines.update(created.pipeline_id, name="stale", expected_last_modified=pipeline.last_modified - 1)
    client.pipelines.delete(created.pipeline_id)
    with pytest.raises(NotFound, match=f"The specified pipeline {created.pipeline_id} was not found"):
        client.pipelines.get(created.pipeline_id)


def test_dry_run_validates_and_keeps_nothing(client: Any) -> None:
    from databricks.sdk.errors import InvalidParameterValue

    answer = client.pipelines.create(name="checked", catalog="main", schema="sales", dry_run=True)
    assert (answer.pipeline_id, answer.effective_settings.name, answer.effective_settings.schema) == (None, "checked", "sales")
    assert list(client.pipelines.list_pipelines()) == []
    with pytest.raises(InvalidParameterValue, match="only the schema"):
        client.pipelines.create(name="dotted", catalog="main", target="main.sales", dry_run=True)


def test_list_pipelines_filters_orders_and_pages(client: Any) -> None:
    from databricks.sdk.errors import NotImplemented as SdkNotImplemented

    for name in ("etl_b", "etl_a", "report", "etl_c"):
        client.pipelines.create(name=name, catalog="main", schema="s", libraries=_libraries(f"/Workspace/src/{name}.py"))
    assert [p.name for p in client.pipelines.list_pipelines(max_results=1)] == ["etl_a", "etl_b", "etl_c", "report"]
    first = client.api_client.do("GET", "/api/2.0/pipelines", query={"max_results": 3})
    assert (len(first["statuses"]), first["next_page_token"]) == (3, "3")
    assert [p.name for p in client.pipelines.list_pipelines(filter="name LIKE 'etl_%'", order_by=["name desc"])] == ["etl_c", "etl_b", "etl_a"]
    by_file = client.pipelines.list_pipelines(filter="notebook='/Workspace/src/report.py'")
    assert [p.name for p in by_file] == []  # a file library is not a notebook
    with pytest.raises(SdkNotImplemented, match="supports only the filters"):
        list(client.pipelines.list_pipelines(filter="creator = 'x'"))


def test_an_update_of_a_pipeline_without_sources_fails_naming_why_and_the_event_log_says_so(client: Any) -> None:
    from databricks.sdk.errors import BadRequest, NotFound
    from databricks.sdk.service.pipelines import EventLevel, PipelineState, UpdateInfoState, UpdateStateInfoState

    pipeline_id = client.pipelines.create(name="orders", catalog="main", schema="sales").pipeline_id
    update_id = client.pipelines.start_update(pipeline_id, full_refresh=True).update_id
    update = client.pipelines.get_update(pipeline_id, update_id).update
    assert (update.state, update.full_refresh, update.pipeline_id, update.config.name) == (UpdateInfoState.FAILED, True, pipeline_id, "orders")
    pipeline = client.pipelines.get(pipeline_id)
    assert pipeline.state == PipelineState.IDLE
    assert [(u.update_id, u.state) for u in pipeline.latest_updates] == [(update_id, UpdateStateInfoState.FAILED)]
    events = list(client.pipelines.list_pipeline_events(pipeline_id))
    assert [(e.event_type, e.level, e.origin.update_id) for e in events] == [
        ("update_progress", EventLevel.ERROR, update_id), ("create_update", EventLevel.INFO, update_id)]
    assert events[0].error.exceptions[0].message.startswith("the pipeline has no libraries: give it source files")
    errors = list(client.pipelines.list_pipeline_events(pipeline_id, filter="level='ERROR'", order_by=["timestamp asc"]))
    assert [e.message for e in errors] == [f"Update {update_id[:6]} is FAILED."]
    selected = client.pipelines.start_update(pipeline_id, refresh_selection=["orders"]).update_id
    assert [u.update_id for u in client.pipelines.list_updates(pipeline_id).updates] == [selected, update_id]
    assert client.pipelines.get_update(pipeline_id, selected).update.refresh_selection == ["orders"]
    with pytest.raises(BadRequest, match="full_refresh cannot be combined"):
        client.pipelines.start_update(pipeline_id, full_refresh=True, refresh_selection=["orders"])
    with pytest.raises(NotFound, match="The specified update nope was not found"):
        client.pipelines.get_update(pipeline_id, "nope")
    assert client.pipelines.stop_and_wait(pipeline_id).state == PipelineState.IDLE
