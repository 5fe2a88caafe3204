"""The drift report as one issue per bundle and target, kept up to date by every scheduled run.

Where the CI's own token can write issues, drift opens an issue (found again by a hidden marker,
`<!-- bundleops-drift <bundle>/<bundle target> -->`, among the open issues), later runs edit its
body instead of opening another, and the first run that finds no drift comments and closes it.
The next drift opens a new issue: one issue per episode, each closed when it ended.

| CI | token (environment only) | API |
|---|---|---|
| GitHub | GITHUB_TOKEN (the job needs `issues: write`) | REST issues at GITHUB_API_URL |
| GitLab | BUNDLEOPS_GITLAB_TOKEN (a project access token, `api` scope; CI_JOB_TOKEN cannot write issues) | project issues at CI_API_V4_URL |
| Azure Pipelines, Jenkins, Bitbucket | none: the job summary and the log only | - |

Listing, finding by the marker and the write calls are the preview comment's (preview/comment.py).
Like the comment, the issue is a courtesy next to the job summary: a missing token is one log line,
an API failure a warning; neither changes the exit code, which is the drift check's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from bundleops.output.redact import redact_for_file
from bundleops.preview import comment
from bundleops.preview.comment import Comments

PURPOSE = "drift"
TOKEN_FIX = {
    "github": "pass `GITHUB_TOKEN: ${{ github.token }}` in the step's env and give the job `permissions: issues: write`",
    "gitlab": comment.TOKEN_FIX["gitlab"],
}
Request = tuple[str, str, dict[str, Any]]


@dataclass(frozen=True)
class Issues:
    """The open issues of one repository (`thread`: list, create, edit), and how to comment on and close one."""

    thread: Comments
    comment: Callable[[Any, str], Request]  # found issue, text -> request
    close: Callable[[Any], Request]
    link: Callable[[Any], str]  # an issue -> where people find it, for the log


def _github(environ: Mapping[str, str], token: str, title: str) -> Issues:
    base = f"{environ.get('GITHUB_API_URL', 'https://api.github.com').rstrip('/')}/repos/{environ.get('GITHUB_REPOSITORY', '')}/issues"
    thread = Comments(
        "github", {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
        f"{base}?state=open&per_page=100",
        create=lambda body: ("POST", base, {"title": title, "body": body}),
        edit=lambda found, body: ("PATCH", f"{base}/{found['number']}", {"title": title, "body": body}),
        # The list holds pull requests too (they carry `pull_request`): never edit one of those.
        items=lambda page: [item for item in page if "pull_request" not in item],
        text=lambda item: item.get("body") or "", next_page=comment.link_next,
    )
    return Issues(
        thread,
        comment=lambda found, body: ("POST", f"{base}/{found['number']}/comments", {"body": body}),
        close=lambda found: ("PATCH", f"{base}/{found['number']}", {"state": "closed", "state_reason": "completed"}),
        link=lambda found: str(found.get("html_url") or f"#{found.get('number')}"),
    )


def _gitlab(environ: Mapping[str, str], token: str, title: str) -> Issues:
    base = f"{environ.get('CI_API_V4_URL', 'https://gitlab.com/api/v4').rstrip('/')}/projects/{environ.get('CI_PROJECT_ID', '')}/issues"
    thread = Comments(
        "gitlab", {"PRIVATE-TOKEN": token}, f"{base}?state=opened&per_page=100",
        create=lambda body: ("POST", base, {"title": title, "description": body}),
        edit=lambda found, body: ("PUT", f"{base}/{found['iid']}", {"title": title, "description": body}),
        items=lambda page: page, text=lambda item: item.get("description") or "", next_page=comment.link_next,
    )
    return Issues(
        thread,
        comment=lambda found, body: ("POST", f"{base}/{found['iid']}/notes", {"body": body}),
        close=lambda found: ("PUT", f"{base}/{found['iid']}", {"state_event": "close"}),
        link=lambda found: str(found.get("web_url") or f"#{found.get('iid')}"),
    )


APIS: dict[str, tuple[str, Callable[[Mapping[str, str], str, str], Issues]]] = {
    "github": ("GITHUB_TOKEN", _github),
    "gitlab": ("BUNDLEOPS_GITLAB_TOKEN", _gitlab),
}


def issues_for(vendor: str, environ: Mapping[str, str], title: str) -> Issues | str:
    """The issue API of this run's repository, or why there is none (a sentence for the log)."""
    if vendor not in APIS:
        return f"no drift issue on {vendor}: bundleops opens issues on GitHub and GitLab only (the job summary has the report)"
    variable, build = APIS[vendor]
    token = environ.get(variable)
    if not token:
        return f"no drift issue: {variable} is not set ({TOKEN_FIX[vendor]})"
    return build(environ, token, title)


def sync(api: Issues, key: str, report: str | None, closing: str) -> str:
    """With a report (drift found): create or edit this key's open issue. Without (no drift): comment
    `closing` on it and close it, if one is open. Returns what was done, for the log; raises requests' errors."""
    import requests

    tag = comment.marker(key, PURPOSE)
    with requests.Session() as session:
        session.headers.update(api.thread.headers)
        found = comment.find(session, api.thread, tag)
        if report is not None:
            text = redact_for_file(f"{tag}\n{report}")
            written = comment.send(session, api.thread.create(text) if found is None else api.thread.edit(found, text)).json()
            return f"drift issue {'opened' if found is None else 'updated'}: {api.link(written)}"
        if found is None:
            return "no drift, and no drift issue is open"
        comment.send(session, api.comment(found, redact_for_file(closing)))
        comment.send(session, api.close(found))
        return f"drift issue closed: {api.link(found)}"
