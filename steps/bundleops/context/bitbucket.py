"""Bitbucket Pipelines default variables (docs: 'Variables and secrets').

Bitbucket never runs pipelines for pull requests from forks, so a pull request here is not a
fork. The environment does not distinguish a manual or scheduled run of a branch pipeline.
"""

from __future__ import annotations

from typing import Mapping

from bundleops.context.model import CIContext, nonempty, optional_int


def from_environment(environ: Mapping[str, str]) -> CIContext:
    repo, build = environ.get("BITBUCKET_REPO_FULL_NAME"), environ.get("BITBUCKET_BUILD_NUMBER")
    common = dict(
        vendor="bitbucket",
        sha=nonempty(environ, "BITBUCKET_COMMIT"),
        author=nonempty(environ, "BITBUCKET_STEP_TRIGGERER_UUID"),
        run_url=f"https://bitbucket.org/{repo}/pipelines/results/{build}" if repo and build else None,
    )
    if nonempty(environ, "BITBUCKET_PR_ID"):
        return CIContext(
            **common,
            event="pull_request",
            branch=nonempty(environ, "BITBUCKET_BRANCH"),
            target_branch=nonempty(environ, "BITBUCKET_PR_DESTINATION_BRANCH"),
            pr_number=optional_int(environ.get("BITBUCKET_PR_ID")),
        )
    tag = nonempty(environ, "BITBUCKET_TAG")
    if tag:
        return CIContext(**common, event="tag", tag=tag)
    return CIContext(**common, event="push", branch=nonempty(environ, "BITBUCKET_BRANCH"))
