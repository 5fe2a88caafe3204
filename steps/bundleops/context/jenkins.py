"""Jenkins multibranch pipelines (branch-api and the SCM branch sources' environment).

Pull requests set CHANGE_ID / CHANGE_BRANCH / CHANGE_TARGET (BRANCH_NAME is then `PR-<n>`, not a
branch); CHANGE_FORK names the fork's owner when the change comes from a fork; tag builds set
TAG_NAME. The environment does not say whether a person started the build, so a branch build
is a push; a manual start plans the same (the plan treats push and manual alike). No default
branch: the project's configured one applies.

A plain Pipeline job (a timer's or a parameterized build, like the drift check and the rollback;
docs/jenkins.md) has no BRANCH_NAME: its branch is the one `checkout scm` checked out, GIT_BRANCH
(the Git plugin names it with its remote, `origin/main`).
"""

from __future__ import annotations

from typing import Mapping

from bundleops.context.model import CIContext, nonempty, optional_int


def from_environment(environ: Mapping[str, str]) -> CIContext:
    common = dict(vendor="jenkins", run_url=nonempty(environ, "BUILD_URL"), sha=nonempty(environ, "GIT_COMMIT"))
    if nonempty(environ, "CHANGE_ID"):
        return CIContext(
            **common,
            event="pull_request",
            branch=nonempty(environ, "CHANGE_BRANCH"),
            target_branch=nonempty(environ, "CHANGE_TARGET"),
            pr_number=optional_int(environ.get("CHANGE_ID")),
            author=nonempty(environ, "CHANGE_AUTHOR"),
            is_fork=bool(nonempty(environ, "CHANGE_FORK")),
        )
    tag = nonempty(environ, "TAG_NAME")
    author = nonempty(environ, "GIT_AUTHOR_NAME")
    if tag:
        return CIContext(**common, event="tag", tag=tag, author=author)
    return CIContext(**common, event="push", branch=nonempty(environ, "BRANCH_NAME") or _checked_out_branch(environ), author=author)


def _checked_out_branch(environ: Mapping[str, str]) -> str | None:
    """GIT_BRANCH of a plain Pipeline job's checkout, without the remote's name (`origin/main` -> `main`)."""
    branch = nonempty(environ, "GIT_BRANCH")
    return branch.split("/", 1)[1] if branch and branch.startswith("origin/") else branch
