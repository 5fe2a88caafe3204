"""Which files this CI run changes, from git: since the merge base with a pull request's target
branch, or since the previous commit on a push (as Terramate's `--changed` reads HEAD^ on the
default branch, where a merge or squash commit carries the whole change).

When git cannot say (a shallow clone, a target branch that was not fetched, no previous commit,
no git at all) the answer is "unknown", never "nothing": the caller then runs every bundle and
warns with the reason and the fix, because planning too little would skip a changed bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bundleops.context.model import CIContext
from bundleops.plan.git import run_git as _git

FETCH_FIX = (
    "fetch the history the comparison needs: GitHub actions/checkout `fetch-depth: 0`, GitLab `GIT_DEPTH: 0`, "
    "Azure `fetchDepth: 0`, Bitbucket `clone: depth: full`, Jenkins a checkout without `shallow`; a pull request "
    "also needs its target branch (`git fetch origin <target branch>`); or pass --all"
)


@dataclass(frozen=True)
class Changes:
    """The changed files relative to the repository root, or None: unknown, every bundle runs.

    `since` says what they were compared with; `warning` why git could not say, for a loud warning.
    """

    files: tuple[str, ...] | None
    since: str
    base: str | None = None
    head: str | None = None
    warning: str | None = None


def changes_for(root: Path, context: CIContext) -> Changes:
    """The files this run changes: pull requests and pushes compare, other events run every bundle."""
    if context.event == "pull_request" and context.pull_request_state != "closed":
        return _since_merge_base(root, context)
    if context.event == "push":
        return _since_previous_commit(root, context)
    if context.event == "pull_request":
        return Changes(None, "a closed pull request: every bundle, so each of its deployments is destroyed")
    return Changes(None, f"a {context.event} run compares nothing: every bundle")


def _since_merge_base(root: Path, context: CIContext) -> Changes:
    head = _head(root, context)
    if head is None:
        return _unknown(root, "this folder is not in a git work tree with a commit")
    target = context.target_branch
    if target is None:
        return _unknown(root, f"the CI ({context.vendor}) gives no target branch for this pull request")
    ref = next((r for r in (f"refs/remotes/origin/{target}", f"refs/heads/{target}") if _commit(root, r)), None)
    if ref is None:
        return _unknown(root, f"the pull request's target branch {target!r} is not in this clone (no origin/{target} or {target})")
    base = _git(root, "merge-base", ref, head)
    if base is None:
        return _unknown(root, f"{_short(ref)} and the pull request's head {head[:12]} have no merge base in this clone")
    return _diff(root, base, head, f"the merge base {base[:12]} of {_short(ref)} and {head[:12]}")


def _since_previous_commit(root: Path, context: CIContext) -> Changes:
    head = _head(root, context)
    if head is None:
        return _unknown(root, "this folder is not in a git work tree with a commit")
    parent = _commit(root, f"{head}^")
    if parent is None:
        return _unknown(root, f"the commit before {head[:12]} is not in this clone (or {head[:12]} is the first commit)")
    return _diff(root, parent, head, f"the previous commit {parent[:12]} of {head[:12]}")


def _diff(root: Path, base: str, head: str, since: str) -> Changes:
    """`--no-renames`: a file moved from one bundle to another changes both."""
    listed = _git(root, "diff", "--name-only", "-z", "--no-renames", "--relative", base, head)
    if listed is None:
        return _unknown(root, f"`git diff {base[:12]} {head[:12]}` failed")
    return Changes(tuple(name for name in listed.split("\0") if name), since, base, head)


def _unknown(root: Path, reason: str) -> Changes:
    if _git(root, "rev-parse", "--is-shallow-repository") == "true":
        reason += "; this clone is shallow"
    return Changes(None, "unknown changes: every bundle", warning=f"every bundle is planned: {reason}. Fix: {FETCH_FIX}")


def _head(root: Path, context: CIContext) -> str | None:
    """The CI's commit (a pull request's head, not the merge commit) when the clone has it, else HEAD."""
    return (_commit(root, context.sha) if context.sha else None) or _commit(root, "HEAD")


def _commit(root: Path, revision: str) -> str | None:
    return _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")


def _short(ref: str) -> str:
    return ref.removeprefix("refs/remotes/").removeprefix("refs/heads/")

