"""One deployment of a shared target, as the history keeps it.

An entry is written by the deploy that made it (`bundleops deploy`, `bundleops rollback`) and
never rewritten, except that the test step adds its result to the entry of the deploy it tested.
Its fields are the deployment record's (bundleops.deploy.record) plus what the history needs:
the outcome, the plan's tally, the commit's time and the commits the deploy brought (lead time),
what a rollback restored, and the post-deploy test's result.

The JSON written for other tools (`to_devlake`) is shaped as Apache DevLake's webhook deployment
(id, startedDate, finishedDate, environment, result, deploymentCommits with commitSha and their
dates), which is also what Google's Four Keys keeps per deployment (an id, a time, the changes).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

SCHEMA = "bundleops.history/v1"
OUTCOMES = ("deployed", "failed", "rolled_back")
SUCCEEDED = ("deployed", "rolled_back")  # deploys that changed the target as planned
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# DevLake's `environment` values for the roles bundleops deploys.
DEVLAKE_ENVIRONMENTS = {"prod": "PRODUCTION", "staging": "STAGING", "dev": "DEVELOPMENT"}


def utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(TIME_FORMAT)


def parse_time(text: str | None) -> datetime | None:
    """An entry's UTC time; None for a missing or unreadable one (never a guess)."""
    try:
        return datetime.strptime(str(text), TIME_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


@dataclass(frozen=True)
class Change:
    """A commit a deploy brought to the target for the first time, with its commit time (lead time starts there)."""

    commit: str
    time: str | None


@dataclass(frozen=True)
class PostDeployTest:
    result: str  # passed | failed
    tests: int | None = None
    failures: int | None = None
    run_url: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    bundle: str
    target: str  # the bundle's own target name
    role: str
    outcome: str
    started_at: str
    finished_at: str
    commit: str | None = None
    commit_time: str | None = None
    title: str | None = None  # the commit's subject line
    branch: str | None = None
    tag: str | None = None
    pr_number: int | None = None
    author: str | None = None
    deployed_by: str | None = None
    run_url: str | None = None
    ci_system: str | None = None
    event: str | None = None
    cli_version: str | None = None
    plan: dict[str, int] | None = None  # the CLI's tally: add, change, delete, unchanged
    resources: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    restores: str | None = None  # a rollback: the commit it deployed again
    replaces: str | None = None  # a rollback: the commit that was deployed before it
    test: PostDeployTest | None = None
    schema: str = SCHEMA

    @property
    def id(self) -> str:
        """Unique per deploy and sorting by time: the finish time and the commit."""
        return f"{self.finished_at.replace(':', '').replace('-', '')}-{(self.commit or 'no-commit')[:12]}-{self.outcome}"

    @property
    def finished(self) -> datetime:
        return parse_time(self.finished_at) or datetime.min.replace(tzinfo=timezone.utc)

    @property
    def succeeded(self) -> bool:
        """A deploy that changed the target as planned: a change deployed, or a rollback."""
        return self.outcome in SUCCEEDED

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **asdict(self)}

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> HistoryEntry:
        """An entry read back; unknown keys (a newer bundleops') are ignored, a missing required one raises KeyError."""
        known = {item.name for item in fields(cls)}
        values = {key: value for key, value in document.items() if key in known}
        values["changes"] = [Change(**change) for change in values.get("changes") or []]
        values["test"] = PostDeployTest(**values["test"]) if values.get("test") else None
        if values.get("outcome") not in OUTCOMES:
            raise KeyError("outcome")
        return cls(**values)

    def to_devlake(self) -> dict[str, Any]:
        """The deployment as DevLake's webhook takes it (and Four Keys keeps it), with the entry itself under `bundleops`."""
        commits = self.changes or ([Change(self.commit, self.commit_time)] if self.commit else [])
        return {
            "id": self.id,
            "displayTitle": self.title or f"{self.bundle} to {self.target}",
            "name": f"{self.bundle} {self.target} {self.outcome}",
            "url": self.run_url,
            "createdDate": self.started_at,
            "startedDate": self.started_at,
            "finishedDate": self.finished_at,
            "environment": DEVLAKE_ENVIRONMENTS.get(self.role, "TESTING"),
            "result": "SUCCESS" if self.succeeded else "FAILURE",
            "deploymentCommits": [
                {"commitSha": change.commit, "refName": self.tag or self.branch, "startedDate": change.time or self.started_at,
                 "finishedDate": self.finished_at, "commitMsg": self.title if change.commit == self.commit else None}
                for change in commits
            ],
            "bundleops": self.to_dict(),
        }
