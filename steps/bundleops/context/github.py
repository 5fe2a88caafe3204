"""GitHub Actions: default environment variables plus the event payload at GITHUB_EVENT_PATH.

Trap: on `pull_request` GITHUB_SHA is the merge commit; the head commit is only in the payload.
The pull request's branches are read from the payload too (GITHUB_HEAD_REF/GITHUB_BASE_REF only
as a fallback): GitHub sets both from it, but runners such as act evaluate `${{ }}` inside
environment values, which would change a branch name that contains that text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from bundleops.context.model import CIContext, nonempty, optional_int
from bundleops.errors import BundleopsError

EVENTS = {
    "pull_request": "pull_request",
    "pull_request_target": "pull_request",
    "push": "push",
    "workflow_dispatch": "manual",
    "repository_dispatch": "manual",
    "schedule": "schedule",
    "release": "tag",
}


def read_payload(environ: Mapping[str, str]) -> dict[str, Any]:
    path = environ.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return {}
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise BundleopsError(
            f"GITHUB_EVENT_PATH={path} is not valid JSON ({exc.msg} at line {exc.lineno})",
            fix="leave GITHUB_EVENT_PATH as the runner sets it",
        ) from None


def from_environment(environ: Mapping[str, str]) -> CIContext:
    name = environ.get("GITHUB_EVENT_NAME", "")
    ref_type = environ.get("GITHUB_REF_TYPE")
    event = "tag" if ref_type == "tag" else EVENTS.get(name)
    if event is None:
        raise BundleopsError(
            f"GitHub event {name!r} is not one bundleops plans for",
            fix="trigger the workflow on pull_request, push, workflow_dispatch, schedule or release",
        )
    payload = read_payload(environ)
    pull = payload.get("pull_request") or {}
    server, repo, run_id = (environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID"))
    run_url = f"{server}/{repo}/actions/runs/{run_id}" if server and repo and run_id else None
    if event == "pull_request":
        head_repo = ((pull.get("head") or {}).get("repo") or {}).get("full_name")
        return CIContext(
            vendor="github",
            event=event,
            branch=(pull.get("head") or {}).get("ref") or nonempty(environ, "GITHUB_HEAD_REF"),
            target_branch=(pull.get("base") or {}).get("ref") or nonempty(environ, "GITHUB_BASE_REF"),
            default_branch=(payload.get("repository") or {}).get("default_branch"),
            pr_number=optional_int(pull.get("number")),
            sha=(pull.get("head") or {}).get("sha"),
            author=(pull.get("user") or {}).get("login") or nonempty(environ, "GITHUB_ACTOR"),
            run_url=run_url,
            is_fork=bool(head_repo and repo and head_repo != repo),
            pull_request_state="closed" if payload.get("action") == "closed" else "open",
        )
    return CIContext(
        vendor="github",
        event=event,
        branch=nonempty(environ, "GITHUB_REF_NAME") if ref_type == "branch" else None,
        default_branch=(payload.get("repository") or {}).get("default_branch"),
        sha=nonempty(environ, "GITHUB_SHA"),
        author=nonempty(environ, "GITHUB_ACTOR"),
        run_url=run_url,
        tag=nonempty(environ, "GITHUB_REF_NAME") if ref_type == "tag" else None,
    )
