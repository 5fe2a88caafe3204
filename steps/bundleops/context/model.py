"""The CI context: the same fields, with the same meaning, whichever CI system filled them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

EVENTS = ("pull_request", "push", "tag", "manual", "schedule")
PULL_REQUEST_STATES = ("open", "closed")


@dataclass(frozen=True)
class CIContext:
    """A value the CI does not give is None, never a guess.

    branch: for a pull request, its source branch (no `refs/heads/`).
    sha: for a pull request, the head commit, not the merge commit the CI may have checked out.
    pull_request_state: for a pull request, `closed` when the CI runs because it was closed or
    merged (GitHub action `closed`, GitLab's environment stop job), else `open`: no CI runs a
    pull-request pipeline for a closed pull request otherwise. None for other events.
    """

    vendor: str
    event: str
    branch: str | None = None
    target_branch: str | None = None
    default_branch: str | None = None
    pr_number: int | None = None
    sha: str | None = None
    author: str | None = None
    run_url: str | None = None
    tag: str | None = None
    is_fork: bool = False
    pull_request_state: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def describe(self) -> str:
        """One line for error messages: what the guard saw."""
        parts = [f"vendor={self.vendor}", f"event={self.event}"]
        for name in ("branch", "target_branch", "default_branch", "pr_number", "tag"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}={value}")
        if self.is_fork:
            parts.append("fork=true")
        if self.pull_request_state == "closed":
            parts.append("pull_request_state=closed")
        return " ".join(parts)


def strip_ref(ref: str | None, prefix: str = "refs/heads/") -> str | None:
    """`refs/heads/feature/x` -> `feature/x`; keeps slashes inside the branch name."""
    if not ref:
        return None
    return ref[len(prefix):] if ref.startswith(prefix) else ref


def optional_int(value: str | int | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def nonempty(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    return value if value else None
