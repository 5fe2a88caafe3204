"""Azure Pipelines predefined variables (docs: 'Use predefined variables').

Traps: a pull-request build checks out a merge commit (BUILD_SOURCEVERSION); the head is
SYSTEM_PULLREQUEST_SOURCECOMMITID. Azure Repos numbers pull requests in PULLREQUESTID, GitHub
repositories in PULLREQUESTNUMBER. BUILD_SOURCEBRANCHNAME is only the last path segment of a
branch (`feature/x` -> `x`), so the branch comes from BUILD_SOURCEBRANCH. No default branch.
"""

from __future__ import annotations

from typing import Mapping
from urllib.parse import quote

from bundleops.context.model import CIContext, nonempty, optional_int, strip_ref
from bundleops.errors import BundleopsError

REASONS = {
    "PullRequest": "pull_request",
    "IndividualCI": "push",
    "BatchedCI": "push",
    "Manual": "manual",
    "Schedule": "schedule",
}


def from_environment(environ: Mapping[str, str]) -> CIContext:
    reason = environ.get("BUILD_REASON", "")
    event = REASONS.get(reason)
    if event is None:
        raise BundleopsError(
            f"Azure Pipelines build reason {reason!r} is not one bundleops plans for",
            fix="run the pipeline from a branch policy (PullRequest), a CI trigger, manually or on a schedule",
        )
    source_branch = environ.get("BUILD_SOURCEBRANCH", "")
    tag = strip_ref(source_branch, "refs/tags/") if source_branch.startswith("refs/tags/") else None
    if tag and event == "push":
        event = "tag"
    collection, project, build_id = (environ.get(k) for k in ("SYSTEM_COLLECTIONURI", "SYSTEM_TEAMPROJECT", "BUILD_BUILDID"))
    run_url = f"{collection.rstrip('/')}/{quote(project)}/_build/results?buildId={build_id}" if collection and project and build_id else None
    common = dict(vendor="azure", event=event, author=nonempty(environ, "BUILD_REQUESTEDFOR"), run_url=run_url)
    if event == "pull_request":
        return CIContext(
            **common,
            branch=strip_ref(nonempty(environ, "SYSTEM_PULLREQUEST_SOURCEBRANCH")),
            target_branch=strip_ref(nonempty(environ, "SYSTEM_PULLREQUEST_TARGETBRANCH")),
            pr_number=optional_int(
                nonempty(environ, "SYSTEM_PULLREQUEST_PULLREQUESTNUMBER") or nonempty(environ, "SYSTEM_PULLREQUEST_PULLREQUESTID")
            ),
            sha=nonempty(environ, "SYSTEM_PULLREQUEST_SOURCECOMMITID"),
            is_fork=environ.get("SYSTEM_PULLREQUEST_ISFORK", "").lower() == "true",
        )
    return CIContext(
        **common,
        branch=None if tag else strip_ref(source_branch or None),
        sha=nonempty(environ, "BUILD_SOURCEVERSION"),
        tag=tag,
    )
