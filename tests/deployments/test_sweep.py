"""`bundleops sweep` on a workspace holding 50 pull-request deployments of mixed ages.

Two are real deployments (deployed by `bundleops deploy` in merge-request pipelines, with jobs);
48 are folders with a deployment record and files, as a deploy leaves them, written with the SDK
at chosen ages so the test does not take 50 deploys. The sweep must remove exactly those past
the age and the one a newer deployment of the same pull request replaced, and leave the shared
staging and every folder without a record of ours.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.deployments.project import PR_FOLDER, SHARED_ROOT, merge_request, pr_project
from tests.deployments.test_parallel import job_exists, path_exists, record
from tests.steps.project import bundleops
from tests.support.local_workspace import upload

pytestmark = pytest.mark.integration

NOW = datetime.now(timezone.utc)


def stamp(days: float) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def plant(sdk, name: str, document: dict | str | None) -> None:  # noqa: ANN001 - WorkspaceClient
    plant_under(sdk, PR_FOLDER, name, document)


def plant_under(sdk, folder: str, name: str, document: dict | str | None) -> None:  # noqa: ANN001 - WorkspaceClient
    """A deployment folder as a deploy leaves it: files, and (unless None) bundleops/deployment.json."""
    upload(sdk, f"{folder}/{name}/files/src/shop.py", "BRANCH = 'x'\n")
    if document is not None:
        upload(sdk, f"{folder}/{name}/bundleops/deployment.json", document if isinstance(document, str) else json.dumps(document))


def ours(name: str, number: int, days: float) -> dict:
    return {"bundle": "shop", "target": "staging", "role": "staging", "deployment": name, "pr_number": number, "deployed_at": stamp(days)}


def folders(sdk) -> set[str]:  # noqa: ANN001 - WorkspaceClient
    return folders_under(sdk, PR_FOLDER)


def folders_under(sdk, folder: str) -> set[str]:  # noqa: ANN001 - WorkspaceClient
    return {str(entry.path).rsplit("/", 1)[-1] for entry in sdk.workspace.list(folder)}


def test_the_sweep_removes_exactly_the_expired_and_the_replaced(tmp_path: Path, env: dict[str, str], sdk) -> None:  # noqa: ANN001
    shared = pr_project(tmp_path / "main", "main")
    assert bundleops(["deploy", "--target", "staging"], shared, env).returncode == 0
    real = {}
    for number, days in ((101, 9.0), (102, 0.0)):
        project = pr_project(tmp_path / f"pr{number}", f"feature/{number}")
        deployed = bundleops(["deploy", "--target", "staging"], project, {**env, **merge_request(number, f"feature/{number}")})
        assert deployed.returncode == 0, deployed.stdout + deployed.stderr
        real[number] = record(project)
        if days:  # deployed nine days ago: its record says so
            upload(sdk, f"{PR_FOLDER}/pr-{number}/bundleops/deployment.json", json.dumps({**real[number], "deployed_at": stamp(days)}))

    expired = {f"pr-{number}" for number in range(1, 11)}  # 8 to 17 days old
    for number in range(1, 47):
        plant(sdk, f"pr-{number}", ours(f"pr-{number}", number, 7 + number if number <= 10 else (number % 7) * 0.9))
    plant(sdk, "legacy-5", ours("legacy-5", 5, 1.0))  # newer than pr-5 (12 days old), which it replaced
    plant(sdk, "legacy-20", ours("legacy-20", 20, 6.5))  # older than pr-20 (deployed 5.4 days ago): replaced
    plant(sdk, "notes", None)  # no record: not ours
    plant(sdk, "pr-77", {"owner": "someone else"})  # a record, not ours
    plant(sdk, "pr-78", "not json {")
    plant(sdk, "pr-79", {**ours("pr-79", 79, 30), "deployment": "pr-80"})  # a copied folder: the record names another
    before = folders(sdk)
    assert len([name for name in before if name.startswith(("pr-", "legacy-")) and name not in ("pr-77", "pr-78", "pr-79")]) == 50

    remove = expired | {"pr-101", "legacy-20"}
    dry = bundleops(["sweep", "--target", "staging", "--older-than", "7d", "--dry-run"], shared, env)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"sweep would remove {len(remove)} pull-request deployment(s)" in dry.stdout
    assert folders(sdk) == before

    swept = bundleops(["sweep", "--target", "staging", "--older-than", "7d"], shared, env, timeout=900)
    assert swept.returncode == 0, swept.stdout + swept.stderr
    assert folders(sdk) == before - remove
    assert f"sweep removed {len(remove)} pull-request deployment(s): " + ", ".join(sorted(remove)) in swept.stdout
    assert "remove legacy-20: replaced by pr-20, a newer deployment of PR #20" in swept.stdout
    assert "keep   notes: no deployment record of bundleops: left alone" in swept.stdout
    assert "keep   legacy-5: PR #5, deployed 1.0 d ago: kept" in swept.stdout and "remove pr-5: replaced by legacy-5" in swept.stdout
    assert not any(job_exists(sdk, job["id"]) for job in real[101]["jobs"].values())
    assert all(job_exists(sdk, job["id"]) for job in real[102]["jobs"].values())
    assert all(job_exists(sdk, job["id"]) for job in record(shared)["jobs"].values())
    assert path_exists(sdk, f"{SHARED_ROOT}/state") and path_exists(sdk, f"{PR_FOLDER}/pr-102/state")
