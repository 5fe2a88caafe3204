"""The history's pieces that need no workspace: entries read back, the DevLake shape, the rollback's choice, git's facts."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bundleops.errors import BundleopsError
from bundleops.history.entry import Change, HistoryEntry
from bundleops.history.git_facts import changes_since, pull_request_of
from bundleops.history.store import History
from bundleops.rollback.choice import choose


def entry(commit: str, finished: str, outcome: str = "deployed") -> HistoryEntry:
    return HistoryEntry(bundle="shop", target="prod", role="prod", outcome=outcome, started_at=finished, finished_at=finished, commit=commit)


def test_an_entry_reads_back_and_ignores_what_a_newer_bundleops_added() -> None:
    written = entry("a" * 40, "2026-12-01T10:00:00Z")
    document = {**written.to_dict(), "added_later": 1}
    assert HistoryEntry.from_dict(document) == written
    with pytest.raises(KeyError):
        HistoryEntry.from_dict({**document, "outcome": "exploded"})


def test_the_json_is_devlakes_webhook_deployment() -> None:
    shaped = entry("a" * 40, "2026-12-01T10:00:00Z", "failed").to_devlake()
    assert {key: shaped[key] for key in ("environment", "result", "startedDate", "finishedDate")} == {
        "environment": "PRODUCTION", "result": "FAILURE", "startedDate": "2026-12-01T10:00:00Z", "finishedDate": "2026-12-01T10:00:00Z"}
    assert [commit["commitSha"] for commit in shaped["deploymentCommits"]] == ["a" * 40]
    assert shaped["bundleops"]["outcome"] == "failed"


def test_the_rollback_picks_the_previous_commit_or_the_one_named() -> None:
    history = History("/h", (entry("1" * 40, "2026-12-01T10:00:00Z"), entry("2" * 40, "2026-12-02T10:00:00Z"), entry("3" * 40, "2026-12-03T10:00:00Z", "failed"),
                             entry("2" * 40, "2026-12-04T10:00:00Z")))
    assert choose(history, "previous", "prod").restore.commit == "1" * 40, "the same commit deployed twice is not 'previous'"
    assert choose(history, "1111111", "prod").restore.commit == "1" * 40
    with pytest.raises(BundleopsError, match="commit 3333333 was never deployed to prod .its last deployments: 222222222222, 222222222222, 111111111111"):
        choose(history, "3333333", "prod")
    with pytest.raises(BundleopsError, match="neither `previous` nor a commit hash"):
        choose(history, "HEAD~1; rm -rf /", "prod")
    with pytest.raises(BundleopsError, match="no deploy of prod is in its history"):
        choose(History("/h", ()), "previous", "prod")


def test_merge_commits_name_their_pull_request_as_each_ci_writes_it() -> None:
    assert [pull_request_of(text) for text in ("Add x (#12)\n\n", "Merge pull request #5 from acme/x\n", "Merged PR 7: x", "Merged in f (pull request #9)",
                                               "x\n\nSee merge request acme/shop!33\n", "Fix #4 in the title only")] == [12, 5, 7, 9, 33, None]


def test_a_deploy_brings_the_commits_since_the_last_deployed_one(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=D", "-c", "user.email=d@x", *args], capture_output=True, text=True, check=True).stdout.strip()

    git("init", "-q")
    shas = []
    for number in range(3):
        git("commit", "-q", "--allow-empty", "-m", f"c{number}")
        shas.append(git("rev-parse", "HEAD"))
    assert [change.commit for change in changes_since(tmp_path, shas[0], shas[2])] == shas[1:]
    assert [change.commit for change in changes_since(tmp_path, "f" * 40, shas[2])] == [shas[2]], "an unknown previous commit: only its own"
    assert all(isinstance(change, Change) and change.time for change in changes_since(tmp_path, None, shas[2]))
