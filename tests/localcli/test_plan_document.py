"""The stand-in's plan model and field diff against plan JSON in the real CLI's shape.

`tests/fidelity/recorded/plan/` holds our rewrites of the real CLI's recorded plans (its README
names each source). A saved plan read back must print the recorded text form and write the same
JSON again, and the field diff must give the recorded `changes` for the recorded states.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from bundleops.localcli import jobs, plan, plan_diff
from bundleops.localcli.diagnostics import CliError

RECORDED = Path(__file__).parents[1] / "fidelity" / "recorded" / "plan"
EXAMPLES = sorted(path.stem for path in RECORDED.glob("*.json"))


@pytest.mark.parametrize("name", EXAMPLES)
def test_a_recorded_plan_reads_back_to_the_same_json_and_its_text_form(name: str) -> None:
    document = json.loads((RECORDED / f"{name}.json").read_text(encoding="utf-8"))
    loaded = plan.load(f"{name}.json", RECORDED)
    assert loaded.to_json() == document
    assert json.dumps(loaded.to_json(), indent=2) == json.dumps(document, indent=2)  # key order too
    assert loaded.text() == (RECORDED / f"{name}.txt").read_text(encoding="utf-8")


def _settings(remote_state: dict) -> dict:
    return {key: value for key, value in remote_state.items() if key not in jobs.REMOTE_FIELDS}


def test_the_field_diff_gives_the_recorded_changes_of_an_update() -> None:
    entry = json.loads((RECORDED / "update.json").read_text(encoding="utf-8"))["plan"]["resources.jobs.ingest"]
    desired = entry["new_state"]["value"]
    saved = copy.deepcopy(desired)
    saved["name"] = entry["changes"]["name"]["old"]
    saved["tasks"][0]["notebook_task"]["notebook_path"] = entry["changes"]["tasks[task_key='load'].notebook_task.notebook_path"]["old"]
    saved["trigger"]["periodic"]["unit"] = entry["changes"]["trigger.periodic.unit"]["old"]
    assert plan_diff.changes(saved, desired, _settings(entry["remote_state"])) == entry["changes"]


def test_the_field_diff_of_an_unchanged_job_only_skips() -> None:
    entry = json.loads((RECORDED / "skip.json").read_text(encoding="utf-8"))["plan"]["resources.jobs.ingest"]
    remote = _settings(entry["remote_state"])
    sent = {key: value for key, value in remote.items() if key not in ("email_notifications", "timeout_seconds", "webhook_notifications")}
    assert plan_diff.changes(sent, sent, remote) == entry["changes"]


def test_map_keys_keyed_lists_and_removed_tasks_use_the_real_clis_paths() -> None:
    saved = {"tags": {"team": "a"}, "tasks": [{"task_key": "x", "libraries": [{"whl": "/a.whl"}]}, {"task_key": "gone"}]}
    desired = {"tags": {"team": "b"}, "tasks": [{"task_key": "x", "libraries": [{"whl": "/b.whl"}]}]}
    changes = plan_diff.changes(saved, desired, saved)
    assert changes == {
        "tags['team']": {"action": "update", "old": "a", "new": "b", "remote": "a"},
        "tasks[task_key='gone']": {"action": "update", "old": {"task_key": "gone"}, "remote": {"task_key": "gone"}},
        "tasks[task_key='x'].libraries[0].whl": {"action": "update", "old": "/a.whl", "new": "/b.whl", "remote": "/a.whl"},
    }


def test_a_saved_plan_from_another_state_is_refused_with_the_real_clis_words() -> None:
    from bundleops.localcli.state import DeploymentState

    saved = plan.load("update.json", RECORDED)
    with pytest.raises(CliError, match=r"^plan serial 2 does not match state serial 3; the state has been modified since the plan was created\. Please run 'bundle plan' again$"):
        plan.check_against_state(saved, DeploymentState(lineage=saved.lineage, serial=3))
    with pytest.raises(CliError, match=r'^plan lineage "6f1c2a0e-3b7d-4c39-9a51-2d8e4f0b7c11" does not match state lineage ""; '):
        plan.check_against_state(saved, DeploymentState(serial=0))
    plan.check_against_state(saved, DeploymentState(lineage=saved.lineage, serial=2))
    plan.check_against_state(plan.load("create.json", RECORDED), DeploymentState(serial=7))  # no lineage: first deploy, not checked


def test_prevent_destroy_refuses_every_guarded_deletion_at_once() -> None:
    mixed = plan.load("mixed.json", RECORDED)
    guarded = {"resources": {"jobs": {"legacy_export": {"lifecycle": {"prevent_destroy": True}}, "ingest": {"lifecycle": {"prevent_destroy": True}}}}}
    with pytest.raises(CliError) as refused:
        plan.check_prevent_destroy(mixed, guarded)
    assert str(refused.value) == (
        "resources.jobs.legacy_export has lifecycle.prevent_destroy set, but the plan calls for this resource to be recreated or destroyed. "
        "To avoid this error, disable lifecycle.prevent_destroy for resources.jobs.legacy_export"
    )  # ingest is only updated
    plan.check_prevent_destroy(mixed, {"resources": {"jobs": {"legacy_export": {"lifecycle": {"prevent_destroy": False}}}}})


def test_remote_drift_is_an_update_but_a_field_the_api_never_returns_is_not() -> None:
    """The real CLI updates a job changed in the workspace; a field jobs/get cannot return is `missing_in_remote`."""
    assert plan_diff.changes({"name": "a"}, {"name": "a"}, {"name": "edited in the UI"}) == {
        "name": {"action": "update", "old": "a", "new": "a", "remote": "edited in the UI"},
    }
    sent = {"name": "a", "tasks": [{"task_key": "x", "not_an_api_field": 1}]}
    assert plan_diff.changes(sent, sent, {"name": "a", "tasks": [{"task_key": "x"}]}) == {
        "tasks[task_key='x'].not_an_api_field": {"action": "skip", "reason": "missing_in_remote", "old": 1, "new": 1},
    }
