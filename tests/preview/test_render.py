"""The plan as read and rendered, on plan JSON in the real CLI's shape (tests/fidelity/recorded/plan)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bundleops.errors import BundleopsError, ExitCode
from bundleops.output.redact import register_secret
from bundleops.preview import gate, plan_json, render, staleness
from tests.preview.plans import big_plan

RECORDED = Path(__file__).resolve().parents[1] / "fidelity" / "recorded" / "plan"


def recorded(name: str) -> plan_json.BundlePlan:
    return plan_json.parse((RECORDED / f"{name}.json").read_text(encoding="utf-8"), name)


def summary(plan: plan_json.BundlePlan, *, auto_approve: bool = False, limit: int = 1 << 20) -> render.Rendered:
    verdict = gate.judge(plan, auto_approve)
    return render.markdown(plan, title="bundleops preview: staging", verdict=verdict.markdown(), limit=limit, plan_path="bundle-plan.json", where="the GitHub step summary")


@pytest.mark.parametrize("name", ["create", "skip", "update", "delete", "recreate", "remote_deleted", "mixed"])
def test_counts_are_the_clis_own(name: str) -> None:
    """The heading matches the `Plan: ...` line the real CLI prints for the same plan (`<name>.txt`)."""
    cli_line = (RECORDED / f"{name}.txt").read_text(encoding="utf-8").strip().splitlines()[-1]
    plan = recorded(name)
    assert render.heading(plan) == cli_line
    assert render.text_lines(plan)[-1] == cli_line
    assert f"**{cli_line}** (direct engine, CLI 1.13.0)" in summary(plan).markdown


def test_mixed_plan_shows_the_rename_the_task_change_and_the_deletion() -> None:
    text = summary(recorded("mixed")).markdown
    assert "| `name` | `orders ingest` | `orders ingest v2` |" in text
    assert "`jobs.export`" in text and "notebook_task.notebook_path" in text and "/src/publish_v2" in text
    assert "#### `jobs.legacy_export` (`orders legacy export`): delete" in text
    assert "**Destructive** (delete): removed from the bundle configuration." in text
    assert "**The deploy is held back**" in text
    assert "jobs.report" not in text  # unchanged: counted, not listed
    assert "| skip | 1 |" in text and "| update | 2 |" in text and "| delete | 1 |" in text
    # skipped field changes (defaults the CLI ignores) are not shown
    assert "timeout_seconds" not in text


def test_destructive_listing_names_resource_and_reason() -> None:
    verdict = gate.judge(recorded("recreate"), auto_approve=False)
    assert verdict.held
    assert verdict.listing() == "recreate pipelines.orders_dlt (changes a field that cannot be updated in place: storage (immutable))"
    error = verdict.error("staging")
    assert error.code == ExitCode.CHECK_FAILED and "Nothing was changed" in error.message
    assert "deploy: {auto_approve: true}" in (error.fix or "")
    approved = gate.judge(recorded("recreate"), auto_approve=True)
    assert not approved.held and "allowed by `deploy: {auto_approve: true}`" in approved.markdown()


def test_remote_deleted_job_is_a_create_not_a_destructive_change() -> None:
    plan = recorded("remote_deleted")
    assert not gate.judge(plan, auto_approve=False).held
    assert "No resource is deleted or recreated." in summary(plan).markdown


def test_gone_delete_only_cleans_the_state() -> None:
    document = json.loads((RECORDED / "delete.json").read_text(encoding="utf-8"))
    for entry in document["plan"].values():
        entry["gone"] = True
    plan = plan_json.parse(json.dumps(document), "gone")
    assert plan.destructive() == () and not gate.judge(plan, False).held


def test_terraform_plan_has_actions_only() -> None:
    plan = plan_json.parse('{"cli_version": "1.13.0", "plan": {"resources.jobs.foo": {"action": "update"}, "resources.jobs.bar": {"action": "delete"}}}', "terraform")
    assert plan.engine == "terraform" and render.heading(plan) == "Plan: 0 to add, 1 to change, 1 to delete, 0 unchanged"
    assert "(terraform engine, CLI 1.13.0)" in summary(plan).markdown


def test_long_values_keep_head_and_tail_and_secrets_are_never_shown() -> None:
    register_secret("s3cr3t-Value-0123456789abcdef")
    changes = {
        "description": {"action": "update", "old": "x" * 100 + "-old-end", "new": "x" * 100 + "-new-end"},
        "tasks[task_key='a'].spark_python_task.parameters": {"action": "update", "old": ["--key", "s3cr3t-Value-0123456789abcdef"], "new": ["--key", "rotated"]},
        "job_clusters[job_cluster_key='c'].new_cluster.spark_env_vars.DB_PASSWORD": {"action": "update", "old": "hunter2-old", "new": "hunter2-new"},
    }
    plan = plan_json.parse(json.dumps({"plan_version": 2, "plan": {"resources.jobs.j": {"action": "update", "changes": changes}}}), "secrets")
    text = summary(plan).markdown
    assert "-old-end (108 chars)" in text and "-new-end (108 chars)" in text
    assert "s3cr3t-Value" not in text and "***" in text
    assert "hunter2" not in text and "(secret: not shown)" in text


def test_a_value_with_backticks_and_pipes_stays_in_its_cell() -> None:
    changes = {"description": {"action": "update", "old": "a|b", "new": "run `x`"}}
    plan = plan_json.parse(json.dumps({"plan_version": 2, "plan": {"resources.jobs.j": {"action": "update", "changes": changes}}}), "md")
    assert "| `description` | `a\\|b` | `` run `x` `` |" in summary(plan).markdown


def test_two_hundred_resources_fit_a_small_limit_and_say_what_was_cut() -> None:
    plan = plan_json.parse(json.dumps(big_plan(200)), "big")
    small = summary(plan, limit=20_000)
    assert len(small.markdown.encode()) <= 20_000
    assert small.omitted > 0 and small.shown + small.omitted == 200
    assert f"_{small.omitted} of 200 changed resources are not shown here: the GitHub step summary holds 20,000 bytes." in small.markdown
    # the destructive ones come first, whatever their key
    assert "`jobs.job_199` (`job 199`): delete" in small.markdown
    whole = summary(plan)
    assert whole.omitted == 0 and len(whole.markdown.encode()) <= 1 << 20


def test_a_file_that_is_not_a_plan_is_bad_input() -> None:
    with pytest.raises(BundleopsError) as caught:
        plan_json.parse("Error: not json", "the plan file x.json", code=ExitCode.BAD_INPUT)
    assert caught.value.code == ExitCode.BAD_INPUT and "the plan file x.json is not a `databricks bundle plan -o json` plan" in caught.value.message


def test_staleness_names_another_deploy_and_drift() -> None:
    reviewed = recorded("update")
    assert staleness.differences(reviewed, recorded("update")) == []
    moved = json.loads((RECORDED / "update.json").read_text(encoding="utf-8"))
    moved["serial"] += 1
    assert staleness.differences(reviewed, plan_json.parse(json.dumps(moved), "moved")) == ["another deploy ran (deployment state serial 2 → 3)"]
    drifted = json.loads((RECORDED / "update.json").read_text(encoding="utf-8"))
    drifted["plan"]["resources.jobs.ingest"]["action"] = "skip"
    assert staleness.differences(reviewed, plan_json.parse(json.dumps(drifted), "drift")) == ["jobs.ingest: update → skip"]
    with pytest.raises(staleness.PlanOutOfDate) as caught:
        staleness.check(reviewed, plan_json.parse(json.dumps(moved), "moved"), "plan.json")
    assert caught.value.message.startswith("plan out of date: the workspace changed since plan.json was made and reviewed")
    cli_text = (RECORDED / "errors.txt").read_text(encoding="utf-8")
    assert staleness.refused_by_cli(cli_text.split("\n")[1], "plan.json") is not None
    assert staleness.refused_by_cli(cli_text.split("\n")[3], "plan.json") is not None

