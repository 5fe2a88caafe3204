"""GitLab CI predefined variables (docs: 'Predefined CI/CD variables reference').

Traps: merge-request pipelines do not set CI_COMMIT_BRANCH; merged-results pipelines run on a
merge commit, and the head is CI_MERGE_REQUEST_SOURCE_BRANCH_SHA.
"""

from __future__ import annotations

from typing import Mapping

from bundleops.context.model import CIContext, nonempty, optional_int
from bundleops.errors import BundleopsError

SOURCES = {
    "merge_request_event": "pull_request",
    "external_pull_request_event": "pull_request",
    "push": "push",
    "web": "manual",
    "api": "manual",
    "trigger": "manual",
    "chat": "manual",
    "schedule": "schedule",
}


def from_environment(environ: Mapping[str, str]) -> CIContext:
    source = environ.get("CI_PIPELINE_SOURCE", "")
    event = SOURCES.get(source)
    if event is None:
        raise BundleopsError(
            f"GitLab pipeline source {source!r} is not one bundleops plans for",
            fix="run bundleops from merge-request, push, web, API or scheduled pipelines",
        )
    tag = nonempty(environ, "CI_COMMIT_TAG")
    if tag and event == "push":
        event = "tag"
    common = dict(
        vendor="gitlab",
        event=event,
        default_branch=nonempty(environ, "CI_DEFAULT_BRANCH"),
        author=nonempty(environ, "GITLAB_USER_LOGIN"),
        run_url=nonempty(environ, "CI_PIPELINE_URL"),
    )
    if event == "pull_request":
        source_project = nonempty(environ, "CI_MERGE_REQUEST_SOURCE_PROJECT_ID")
        target_project = nonempty(environ, "CI_MERGE_REQUEST_PROJECT_ID") or nonempty(environ, "CI_PROJECT_ID")
        return CIContext(
            **common,
            branch=nonempty(environ, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
            target_branch=nonempty(environ, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
            pr_number=optional_int(nonempty(environ, "CI_MERGE_REQUEST_IID")),
            sha=nonempty(environ, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or nonempty(environ, "CI_COMMIT_SHA"),
            is_fork=bool(source_project and target_project and source_project != target_project),
            # The job an environment's `on_stop` (or `auto_stop_in`) runs when the merge request ends.
            pull_request_state="closed" if environ.get("CI_ENVIRONMENT_ACTION") == "stop" else "open",
        )
    return CIContext(**common, branch=nonempty(environ, "CI_COMMIT_BRANCH"), sha=nonempty(environ, "CI_COMMIT_SHA"), tag=tag)
