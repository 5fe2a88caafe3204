"""What git knows about a deployed commit: its time and subject, the commits a deploy brings, the pull request.

A CI checkout may be shallow (GitHub's and Azure's default depth is 1): then the commits before the
deployed one are unknown, and the deploy records only its own commit. Nothing here raises: a fact
git cannot give is None, never a guess.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

from bundleops.history.entry import Change, utc_text
from bundleops.plan.git import run_git

# How each CI's merge writes the pull request into the commit subject (merge or squash).
PULL_REQUEST_SUBJECTS = (
    re.compile(r"^Merge pull request #(\d+) ", re.MULTILINE),  # GitHub merge commit
    re.compile(r"\(#(\d+)\)$", re.MULTILINE),                 # GitHub squash merge
    re.compile(r"^Merged PR (\d+):", re.MULTILINE),           # Azure Repos
    re.compile(r"\(pull request #(\d+)\)"),             # Bitbucket
    re.compile(r"See merge request [^\s!]+!(\d+)"),     # GitLab (in the body; subject and body are searched)
)
# How many commits one deploy may list; past this the oldest are left out (a first deploy of a long history).
MOST_CHANGES = 500


def commit_time(root: Path, sha: str) -> str | None:
    """The commit's committer time in UTC (when it reached a branch, the start of its lead time)."""
    out = run_git(root, "show", "-s", "--format=%ct", sha, "--")
    return utc_text(_epoch(out)) if out and out.strip().isdigit() else None


def message(root: Path, sha: str) -> str | None:
    return run_git(root, "show", "-s", "--format=%B", sha, "--")


def pull_request_of(text: str | None) -> int | None:
    """The pull request a merge commit names in its message, as each CI's merge writes it."""
    for pattern in PULL_REQUEST_SUBJECTS:
        found = pattern.search(text or "")
        if found:
            return int(found.group(1))
    return None


def changes_since(root: Path, previous: str | None, sha: str) -> list[Change]:
    """The commits `sha` has that `previous` (the last deployed commit) has not, oldest first; just `sha`
    when the history before it is not in this checkout."""
    if previous and previous != sha and run_git(root, "merge-base", "--is-ancestor", previous, sha) is not None:
        out = run_git(root, "log", f"--max-count={MOST_CHANGES}", "--reverse", "--format=%H %ct", f"{previous}..{sha}", "--")
        if out is not None:
            return [Change(commit, utc_text(_epoch(seconds))) for commit, seconds in (line.split() for line in out.splitlines() if line.strip())]
    return [Change(sha, commit_time(root, sha))]


def _epoch(seconds: str) -> datetime:
    return datetime.fromtimestamp(int(seconds.strip()), tz=timezone.utc)
