"""The drift classification on plan documents shaped as the real CLI's direct engine records them (no workspace).

The cases follow databricks/cli's acceptance tests: a tag added in the workspace
(acceptance/bundle/resources/jobs/remote_add_tag: `tags['new_tag']` with only `remote`, next to the
`skip` entries of backend defaults), a job deleted in the workspace (jobs/remote_delete/deploy: a
`create` with `new_state` and no `remote_state`), a job deleted in the workspace and removed from the
configuration (jobs/remote_delete/removed_from_config: `delete` with `gone`), and a task removed
by the checkout (jobs/delete_task: `old` the task as deployed, `remote` the task as the API returns
it, defaults included, no `new`).
"""

from __future__ import annotations

import json
from typing import Any

from bundleops.drift import report
from bundleops.drift.classify import CHANGED, DELETED, PENDING, UNKNOWN, classify
from bundleops.preview import plan_json

JOB = {"deployment": {"kind": "BUNDLE"}, "edit_mode": "UI_LOCKED", "format": "MULTI_TASK", "max_concurrent_runs": 1, "name": "My Wheel Job",
       "queue": {"enabled": True}, "tags": {"tag1": "tag value"}}
REMOTE_JOB = {**JOB, "job_id": 1001, "tags": {"new_tag": "new_value", "tag1": "tag value"}, "timeout_seconds": 0, "email_notifications": {}}
TASK = {"existing_cluster_id": "0717-132531-5opeqon1", "python_wheel_task": {"entry_point": "run", "package_name": "whl"}, "task_key": "TestTask1"}
DEPLOYED = {"jobs": {"foo": {"id": "1001", "name": "My Wheel Job"}, "bar": {"id": "1002", "name": "bar"}}}


def plan(entries: dict[str, Any]) -> plan_json.BundlePlan:
    document = {"plan_version": 2, "cli_version": "0.290.0", "lineage": "7d2a", "serial": 1, "plan": entries}
    return plan_json.parse(json.dumps(document), "a recorded plan")


def tag_added_in_the_workspace() -> dict[str, Any]:
    return {"resources.jobs.foo": {
        "action": "update", "new_state": {"value": JOB}, "remote_state": REMOTE_JOB,
        "changes": {
            "email_notifications": {"action": "skip", "reason": "empty", "remote": {}},
            "tags['new_tag']": {"action": "update", "remote": "new_value"},
            "tasks[task_key='TestTask'].run_if": {"action": "skip", "reason": "backend_default", "remote": "ALL_SUCCESS"},
            "timeout_seconds": {"action": "skip", "reason": "empty", "remote": 0},
        },
    }}


def deleted_in_the_workspace() -> dict[str, Any]:
    return {"resources.jobs.foo": {"action": "create", "new_state": {"value": {**JOB, "name": "foo"}}}}


def test_a_tag_added_in_the_workspace_is_a_change_with_its_value_and_nothing_else() -> None:
    drift = classify(plan(tag_added_in_the_workspace()), DEPLOYED)
    [finding] = drift.findings
    assert (finding.resource, finding.kind, finding.name) == ("jobs.foo", CHANGED, "My Wheel Job")
    assert [(change.path, change.old, change.remote) for change in finding.fields] == [("tags['new_tag']", None, "new_value")]
    assert drift.drifted and drift.drifted_resources() == ("jobs.foo",)


def test_a_create_of_a_key_the_last_deploy_made_is_a_deletion_in_the_workspace() -> None:
    [finding] = classify(plan(deleted_in_the_workspace()), DEPLOYED).findings
    assert (finding.resource, finding.kind, finding.action) == ("jobs.foo", DELETED, "create")


def test_a_create_of_a_key_the_last_deploy_did_not_make_is_new_in_the_checkout() -> None:
    drift = classify(plan(deleted_in_the_workspace()), {"jobs": {"bar": {"id": "1002"}}})
    assert [(finding.kind, finding.note) for finding in drift.findings] == [(PENDING, "new in the checkout: the next deploy creates it")]
    assert not drift.drifted


def test_without_a_deploy_in_the_history_a_create_is_unknown_and_not_drift() -> None:
    drift = classify(plan(deleted_in_the_workspace()), None)
    [finding] = drift.findings
    assert finding.kind == UNKNOWN and "no deploy is in the target's history" in finding.note
    assert not drift.drifted and not drift.history_known
    assert "no deploy is in the target's history" in report.verdict(drift)


def test_a_gone_delete_is_a_deletion_and_a_plain_delete_is_the_checkout_s() -> None:
    drift = classify(plan({"resources.jobs.foo": {"action": "delete", "gone": True},
                           "resources.jobs.bar": {"action": "delete", "remote_state": {"job_id": 1002}}}), DEPLOYED)
    assert {(finding.resource, finding.kind) for finding in drift.findings} == {("jobs.foo", DELETED), ("jobs.bar", PENDING)}
    assert drift.drifted_resources() == ("jobs.foo",)


def test_a_task_the_checkout_removes_is_not_drift_although_the_api_adds_defaults_to_it() -> None:
    remote_task = {**TASK, "email_notifications": {}, "run_if": "ALL_SUCCESS", "timeout_seconds": 0}
    drift = classify(plan({"resources.jobs.foo": {
        "action": "update", "new_state": {"value": JOB}, "remote_state": {**JOB, "tasks": [remote_task]},
        "changes": {"tasks[task_key='TestTask1']": {"action": "update", "old": TASK, "remote": remote_task}},
    }}), DEPLOYED)
    [finding] = drift.findings
    assert finding.kind == PENDING and [change.path for change in finding.fields] == ["tasks[task_key='TestTask1']"]
    assert not drift.drifted


def test_a_value_edited_in_the_workspace_that_the_checkout_changes_too_is_both() -> None:
    drift = classify(plan({"resources.jobs.foo": {
        "action": "update", "new_state": {"value": JOB}, "remote_state": JOB,
        "changes": {
            "schedule.quartz_cron_expression": {"action": "update", "old": "0 0 2 * * ?", "new": "0 0 3 * * ?", "remote": "0 30 5 * * ?"},
            "max_concurrent_runs": {"action": "update", "new": 4, "remote": 1},  # set by the checkout; 1 is the backend's default
        },
    }}), DEPLOYED)
    assert [(finding.kind, [change.path for change in finding.fields]) for finding in drift.findings] == [
        (CHANGED, ["schedule.quartz_cron_expression"]), (PENDING, ["max_concurrent_runs", "schedule.quartz_cron_expression"])]


def test_the_children_of_a_deleted_job_go_with_it() -> None:
    entries = {**deleted_in_the_workspace(), "resources.jobs.foo.permissions": {"action": "create", "new_state": {"value": {"object_id": ""}}}}
    drift = classify(plan(entries), DEPLOYED)
    assert [(finding.resource, finding.kind) for finding in drift.findings] == [("jobs.foo", DELETED)]


def test_a_plan_with_only_skips_has_no_findings() -> None:
    drift = classify(plan({"resources.jobs.foo": {"action": "skip"}, "resources.jobs.foo.permissions": {"action": "skip"}}), DEPLOYED)
    assert drift.findings == () and not drift.drifted
