"""Pipeline permissions of the local workspace through the real databricks-sdk."""

from __future__ import annotations

from typing import Any

import pytest


def test_pipeline_permissions_are_set_read_back_and_checked(client: Any) -> None:
    from databricks.sdk.errors import InvalidParameterValue, NotFound
    from databricks.sdk.service.pipelines import PipelineAccessControlRequest, PipelinePermissionLevel

    pipeline_id = client.pipelines.create(name="permissions-test", catalog="main", schema="sales").pipeline_id
    acl = [PipelineAccessControlRequest(group_name="readers", permission_level=PipelinePermissionLevel.CAN_VIEW),
           PipelineAccessControlRequest(user_name="owner@example.com", permission_level=PipelinePermissionLevel.IS_OWNER)]
    client.pipelines.set_permissions(pipeline_id, access_control_list=acl)
    answer = client.pipelines.get_permissions(pipeline_id)
    assert answer.object_id == f"/pipelines/{pipeline_id}"
    assert [(entry.group_name or entry.user_name, entry.all_permissions[0].permission_level.value) for entry in answer.access_control_list] == [
        ("readers", "CAN_VIEW"), ("owner@example.com", "IS_OWNER")]
    with pytest.raises(InvalidParameterValue, match="only one owner"):
        client.pipelines.set_permissions(pipeline_id, access_control_list=[*acl, PipelineAccessControlRequest(group_name="admins", permission_level=PipelinePermissionLevel.IS_OWNER)])
    client.pipelines.delete(pipeline_id)
    with pytest.raises(NotFound):
        client.pipelines.get_permissions(pipeline_id)
