"""Issue 24's Done-when for history, DORA and rollback, through the local workspace and the CLI stand-in.

A project in git gets three prod deploys (the third a bad change) and a rollback to the previous
one, each a `bundleops` process with a GitLab default-branch context. The history then holds four
entries, `--dora` prints the four figures a hand count of those entries gives, and the rollback
restores the second deployment's jobs exactly, as databricks-sdk reads them back.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from statistics import median
from typing import Any, Iterator

import pytest

from tests.steps.project import ROOT, bundleops, shop_project, step_env

pytestmark = pytest.mark.integration

PROD = ROOT + "  prod:\n" + ROOT.split("  staging:\n", 1)[1].replace("${bundle.target}", "prod")
DAILY = """
resources:
  jobs:
    shop_daily:
      name: shop_daily
      tasks:
        - task_key: main
          spark_python_task:
            python_file: ../src/fake_tests.py
            parameters: [VERSION]
"""
# Hours before the test started at which each commit was made (its lead time starts there).
COMMITTED_HOURS_AGO = {"v1": 30, "v2": 6, "v3-bad": 2}


def git(project: Path, *args: str, when: datetime | None = None) -> str:
    moment = {"GIT_AUTHOR_DATE": when.isoformat(), "GIT_COMMITTER_DATE": when.isoformat()} if when else {}
    env = {**os.environ, "GIT_AUTHOR_NAME": "Dana", "GIT_AUTHOR_EMAIL": "dana@example.com", "GIT_COMMITTER_NAME": "Dana",
           "GIT_COMMITTER_EMAIL": "dana@example.com", **moment}
    return subprocess.run(["git", "-C", str(project), *args], env=env, capture_output=True, text=True, check=True).stdout.strip()


def pipeline_env(env: dict[str, str], sha: str, source: str) -> dict[str, str]:
    """GitLab's variables of a pipeline on main: `push` (a merge) or `web` (a manual run)."""
    return {**env, "GITLAB_CI": "true", "CI_PIPELINE_SOURCE": source, "CI_DEFAULT_BRANCH": "main", "CI_COMMIT_BRANCH": "main",
            "CI_COMMIT_SHA": sha, "CI_PIPELINE_URL": f"http://gitlab.local/shop/-/pipelines/{sha[:6]}", "GITLAB_USER_LOGIN": "dana"}


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Three prod deploys and a rollback to the second; what each step printed and what the SDK read after deploy 2 and the rollback."""
    from bundleops.localworkspace import LocalWorkspace

    folder = tmp_path_factory.mktemp("history")
    with LocalWorkspace(folder / "workspace") as workspace:
        yield _tell(folder, workspace)


def _tell(folder: Path, workspace: Any) -> dict[str, Any]:
    from databricks.sdk import WorkspaceClient

    from bundleops.localcli.shim import write_shim

    write_shim(folder / "bin")
    env = step_env(workspace.env(), folder / "bin")
    project = shop_project(folder / "shop", changes={"databricks.yml": PROD, ".gitignore": "test-results/\n.databricks/\n.bundleops/\n"})
    git(project, "init", "-q", "-b", "main")
    started = datetime.now(timezone.utc).replace(microsecond=0)
    shas, printed = {}, {}
    for number, version in enumerate(COMMITTED_HOURS_AGO, start=1):
        (project / "resources" / "daily.yml").write_text(DAILY.replace("VERSION", version).lstrip(), encoding="utf-8")
        git(project, "add", "-A")
        git(project, "commit", "-q", "-m", f"Daily job {version} (#{10 + number})", when=started - timedelta(hours=COMMITTED_HOURS_AGO[version]))
        shas[version] = git(project, "rev-parse", "HEAD")
        deployed = bundleops(["deploy", "--target", "prod"], project, pipeline_env(env, shas[version], "push"))
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        printed[f"deploy {version}"] = deployed.stdout + deployed.stderr
        if version == "v2":
            tested = bundleops(["test", "--target", "prod"], project, pipeline_env(env, shas[version], "push"))
            assert tested.returncode == 0, tested.stdout + tested.stderr
            printed["test v2"] = tested.stdout + tested.stderr
            client = WorkspaceClient(host=workspace.host, client_id=workspace.client_id,
                                     client_secret=workspace.client_secret, auth_type="oauth-m2m")
            jobs_after_v2 = {job.job_id: client.jobs.get(job.job_id).settings.as_dict() for job in client.jobs.list()}
    manual = pipeline_env(env, shas["v3-bad"], "web")
    for name, extra in (("preview", ["--preview-only"]), ("rollback", [])):
        done = bundleops(["rollback", "--target", "prod", "--to", "previous", *extra], project, manual)
        assert done.returncode == 0, done.stdout + done.stderr
        printed[name] = done.stdout + done.stderr
    jobs_after_rollback = {job.job_id: client.jobs.get(job.job_id).settings.as_dict() for job in client.jobs.list()}
    listed = {form: bundleops(["history", "--target", "prod", "--format", form], project, env) for form in ("table", "json")}
    dora = bundleops(["history", "--target", "prod", "--dora", "--since", "30d"], project, env)
    return {"shas": shas, "printed": printed, "after_v2": jobs_after_v2, "after_rollback": jobs_after_rollback, "listed": listed, "dora": dora,
            "project": project}


def test_three_deploys_and_a_rollback_leave_four_entries(story: dict[str, Any]) -> None:
    shas = story["shas"]
    table = story["listed"]["table"]
    assert table.returncode == 0, table.stdout + table.stderr
    rows = table.stdout.strip().splitlines()
    assert rows[0].split()[:3] == ["finished", "(UTC)", "outcome"]
    assert [row.split()[1:3] for row in rows[1:]] == [["deployed", shas["v1"][:12]], ["deployed", shas["v2"][:12]], ["deployed", shas["v3-bad"][:12]],
                                                     ["rolled", "back"]], table.stdout
    assert f"rolled back to {shas['v2'][:12]}  {shas['v2'][:12]}  #12" in rows[4], "the rollback restores v2, whose commit names PR #12"

    document = json.loads(story["listed"]["json"].stdout)
    assert document["schema"] == "bundleops.history/v1" and document["bundle"] == "shop"
    deployments = document["deployments"]
    assert [(d["environment"], d["result"], d["bundleops"]["outcome"]) for d in deployments] == [("PRODUCTION", "SUCCESS", "deployed")] * 3 + [
        ("PRODUCTION", "SUCCESS", "rolled_back")]
    assert [[c["commitSha"] for c in d["deploymentCommits"]] for d in deployments] == [[shas["v1"]], [shas["v2"]], [shas["v3-bad"]], [shas["v2"]]]
    rollback = deployments[3]["bundleops"]
    assert (rollback["restores"], rollback["replaces"]) == (shas["v2"], shas["v3-bad"])
    assert {key: rollback["plan"][key] for key in ("add", "change", "delete")} == {"add": 0, "change": 1, "delete": 0}
    assert [d["bundleops"]["pr_number"] for d in deployments] == [11, 12, 13, 12], "the PR each merge commit names"
    test = deployments[1]["bundleops"]["test"]
    assert (test["result"], test["tests"], test["failures"]) == ("passed", 2, 0), "the post-deploy test of v2 is on v2's entry"
    assert [d["bundleops"]["test"] for d in (deployments[0], deployments[2], deployments[3])] == [None, None, None]
    assert "test result passed added to the history entry " in story["printed"]["test v2"]


def test_dora_figures_match_a_hand_count_of_the_entries(story: dict[str, Any]) -> None:
    """Each figure recomputed here from the JSON entries, by the definitions docs/history.md gives."""
    dora = story["dora"]
    assert dora.returncode == 0, dora.stdout + dora.stderr
    entries = [d["bundleops"] for d in json.loads(story["listed"]["json"].stdout)["deployments"]]
    at = [datetime.strptime(entry["finished_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) for entry in entries]
    committed = [datetime.strptime(entry["commit_time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc) for entry in entries[:3]]

    per_day = 4 / 30  # four deploys (three changes, one rollback) in the 30-day window
    assert f"deployment frequency: {per_day:.2f} per day ({per_day * 7:.1f} per week)" in dora.stdout
    assert "from 4 deploys that succeeded (1 of them rollbacks) in 30.0 days" in dora.stdout

    lead = median(deployed - commit for deployed, commit in zip(at, committed))  # each deploy brought its one commit
    assert lead > timedelta(hours=5), "the middle commit was made 6 hours before"
    assert f"lead time for changes: {lead.total_seconds() / 3600:.1f} h\n    from 3 commits" in dora.stdout

    assert "change failure rate: 33%\n    from 1 of 3 deploys of changes failed in production" in dora.stdout  # v3-bad, rolled back
    assert story["shas"]["v3-bad"][:12] in dora.stdout

    restore = (at[3] - at[2]).total_seconds()
    shown = f"{restore:.0f} s" if restore < 120 else f"{restore / 60:.1f} min"
    assert f"time to restore: {shown}\n    from 1 failures" in dora.stdout


def test_the_rollback_restores_the_previous_deployments_jobs_exactly(story: dict[str, Any]) -> None:
    assert story["after_rollback"] == story["after_v2"]
    parameters = [settings["tasks"][0]["spark_python_task"]["parameters"] for settings in story["after_rollback"].values() if settings["name"] == "shop_daily"]
    assert parameters == [["v2"]]


def test_the_rollbacks_preview_names_what_it_changes_and_the_revert(story: dict[str, Any]) -> None:
    shas = story["shas"]
    preview = story["printed"]["preview"]
    assert f"prod runs {shas['v3-bad'][:12]}" in preview and f"rolling back to {shas['v2'][:12]}" in preview
    assert "update jobs.shop_daily" in preview
    assert "tasks[task_key='main'].spark_python_task.parameters[0]: v3-bad → v2" in preview
    assert "Plan: 0 to add, 1 to change, 0 to delete," in preview
    revert = f"git revert --no-edit -m 1 $(git rev-list --first-parent {shas['v2'][:12]}..{shas['v3-bad'][:12]})"
    assert revert in preview and revert in story["printed"]["rollback"]
    assert "history of prod: " in story["printed"]["rollback"] and "(rolled_back)" in story["printed"]["rollback"]
    assert not list(Path(story["project"]).parent.glob("bundleops-rollback-*")), "the worktree is removed"
