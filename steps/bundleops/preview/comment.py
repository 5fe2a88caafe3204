"""The plan as one pull-request comment, posted with the CI's own token and updated in place.

A hidden marker (`<!-- bundleops-preview <key> -->`, the key naming project and bundle target)
finds the comment an earlier run posted, so a pull request carries one comment per bundle target,
edited on every push, never one per push.

| CI | token (environment only) | API |
|---|---|---|
| GitHub | GITHUB_TOKEN (the job needs `pull-requests: write`) | REST issue comments at GITHUB_API_URL |
| GitLab | BUNDLEOPS_GITLAB_TOKEN (a project access token, `api` scope; CI_JOB_TOKEN cannot write notes) | merge-request notes at CI_API_V4_URL |
| Azure Pipelines | SYSTEM_ACCESSTOKEN (mapped into the step's env; Contribute to pull requests) | pull-request threads at SYSTEM_COLLECTIONURI (Azure Repos) |
| Bitbucket | BUNDLEOPS_BITBUCKET_TOKEN (a repository access token, pull requests: write) | pull-request comments at BUNDLEOPS_BITBUCKET_API_URL (default api.bitbucket.org/2.0) |
| Jenkins | none: the build summary file only | - |

A comment is a courtesy next to the job summary, which always has the plan: a missing token is
one log line, and an API failure a warning; neither changes the step's exit code.
"""

from __future__ import annotations

import re

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from bundleops.output.redact import redact_for_file

if TYPE_CHECKING:
    import requests

TIMEOUT = (10, 30)
TOKEN_FIX = {
    "github": "pass `GITHUB_TOKEN: ${{ github.token }}` in the step's env and give the job `permissions: pull-requests: write`",
    "gitlab": "store a project access token (api scope) as the masked CI/CD variable BUNDLEOPS_GITLAB_TOKEN",
    "azure": "map `SYSTEM_ACCESSTOKEN: $(System.AccessToken)` into the step's env and allow the build service to contribute to pull requests",
    "bitbucket": "store a repository access token (pull requests: write) as the secured variable BUNDLEOPS_BITBUCKET_TOKEN",
}


def marker(key: str, purpose: str = "preview") -> str:
    """The hidden HTML comment that finds this preview's comment (or the drift check's issue, `purpose`)
    again. The key names the project or bundle and the bundle target (text a pull request can choose):
    only characters that cannot end the comment or start markup stay."""
    return f"<!-- bundleops-{purpose} {re.sub(r'[^A-Za-z0-9._/-]', '-', key)} -->"


@dataclass(frozen=True)
class Comments:
    """One pull request's comments on one CI's API: list them, create one, edit one."""

    vendor: str
    headers: dict[str, str]
    list_url: str
    create: Callable[[str], tuple[str, str, dict[str, Any]]]  # body -> method, url, JSON
    edit: Callable[[Any, str], tuple[str, str, dict[str, Any]]]  # found comment, body -> method, url, JSON
    items: Callable[[Any], list[Any]]  # a listing page -> its comments
    text: Callable[[Any], str]  # a comment -> its text
    next_page: Callable[["requests.Response"], str | None]


def link_next(response: "requests.Response") -> str | None:
    return response.links.get("next", {}).get("url")


def _github(environ: Mapping[str, str], number: int, token: str) -> Comments:
    base = f"{environ.get('GITHUB_API_URL', 'https://api.github.com').rstrip('/')}/repos/{environ.get('GITHUB_REPOSITORY', '')}"
    return Comments(
        "github", {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
        f"{base}/issues/{number}/comments?per_page=100",
        create=lambda body: ("POST", f"{base}/issues/{number}/comments", {"body": body}),
        edit=lambda found, body: ("PATCH", f"{base}/issues/comments/{found['id']}", {"body": body}),
        items=lambda page: page, text=lambda item: item.get("body") or "", next_page=link_next,
    )


def _gitlab(environ: Mapping[str, str], number: int, token: str) -> Comments:
    base = f"{environ.get('CI_API_V4_URL', 'https://gitlab.com/api/v4').rstrip('/')}/projects/{environ.get('CI_PROJECT_ID', '')}/merge_requests/{number}/notes"
    return Comments(
        "gitlab", {"PRIVATE-TOKEN": token}, f"{base}?per_page=100",
        create=lambda body: ("POST", base, {"body": body}),
        edit=lambda found, body: ("PUT", f"{base}/{found['id']}", {"body": body}),
        items=lambda page: page, text=lambda item: item.get("body") or "", next_page=link_next,
    )


def _azure(environ: Mapping[str, str], number: int, token: str) -> Comments:
    collection = environ.get("SYSTEM_COLLECTIONURI", "").rstrip("/")
    base = (f"{collection}/{environ.get('SYSTEM_TEAMPROJECTID') or environ.get('SYSTEM_TEAMPROJECT', '')}/_apis/git/repositories/"
            f"{environ.get('BUILD_REPOSITORY_ID', '')}/pullRequests/{number}/threads")
    version = "api-version=7.1"
    return Comments(
        "azure", {"Authorization": f"Bearer {token}"}, f"{base}?{version}",
        create=lambda body: ("POST", f"{base}?{version}", {"comments": [{"parentCommentId": 0, "content": body, "commentType": 1}], "status": 1}),
        edit=lambda found, body: ("PATCH", f"{base}/{found['id']}/comments/{found['comments'][0]['id']}?{version}", {"content": body}),
        items=lambda page: page.get("value") or [], text=lambda thread: ((thread.get("comments") or [{}])[0].get("content") or ""),
        next_page=lambda response: None,
    )


def _bitbucket(environ: Mapping[str, str], number: int, token: str) -> Comments:
    api = environ.get("BUNDLEOPS_BITBUCKET_API_URL", "https://api.bitbucket.org/2.0").rstrip("/")
    base = f"{api}/repositories/{environ.get('BITBUCKET_REPO_FULL_NAME', '')}/pullrequests/{number}/comments"
    return Comments(
        "bitbucket", {"Authorization": f"Bearer {token}"}, f"{base}?pagelen=100",
        create=lambda body: ("POST", base, {"content": {"raw": body}}),
        edit=lambda found, body: ("PUT", f"{base}/{found['id']}", {"content": {"raw": body}}),
        items=lambda page: page.get("values") or [], text=lambda item: (item.get("content") or {}).get("raw") or "",
        next_page=lambda response: response.json().get("next"),
    )


# CI -> (the variable holding its token, the API)
APIS: dict[str, tuple[str, Callable[[Mapping[str, str], int, str], Comments]]] = {
    "github": ("GITHUB_TOKEN", _github),
    "gitlab": ("BUNDLEOPS_GITLAB_TOKEN", _gitlab),
    "azure": ("SYSTEM_ACCESSTOKEN", _azure),
    "bitbucket": ("BUNDLEOPS_BITBUCKET_TOKEN", _bitbucket),
}


def comments_for(vendor: str, environ: Mapping[str, str], number: int | None) -> Comments | str:
    """The comment API of this run's pull request, or why there is none (a sentence for the log)."""
    if number is None:
        return "no pull-request comment: this run is not for a pull request"
    if vendor not in APIS:
        return f"no pull-request comment on {vendor}: it offers no pull-request comment through a CI token (the job summary has the plan)"
    variable, build = APIS[vendor]
    token = environ.get(variable)
    if not token:
        return f"no pull-request comment: {variable} is not set ({TOKEN_FIX[vendor]})"
    if vendor == "azure" and environ.get("BUILD_REPOSITORY_PROVIDER", "TfsGit") != "TfsGit":
        return "no pull-request comment: pull-request threads exist for Azure Repos only (the summary attachment has the plan)"
    pull = int(environ.get("SYSTEM_PULLREQUEST_PULLREQUESTID") or number) if vendor == "azure" else number
    return build(environ, pull, token)


def _pages(session: "requests.Session", api: Comments) -> Iterator[Any]:
    url: str | None = api.list_url
    while url:
        response = session.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        yield from api.items(response.json())
        url = api.next_page(response)


def find(session: "requests.Session", api: Comments, tag: str) -> Any:
    """The first item (comment, thread or issue) whose text holds the marker `tag`, or None."""
    return next((item for item in _pages(session, api) if tag in api.text(item)), None)


def send(session: "requests.Session", request: tuple[str, str, dict[str, Any]]) -> "requests.Response":
    """One write call (method, url, JSON); raises requests' errors on an HTTP error status."""
    method, url, payload = request
    response = session.request(method, url, json=payload, timeout=TIMEOUT)
    response.raise_for_status()
    return response


def publish(api: Comments, key: str, body: str) -> str:
    """Create or edit this key's comment; returns what was done, for the log. Raises requests' errors."""
    import requests

    tag = marker(key)
    text = redact_for_file(f"{tag}\n{body}")
    with requests.Session() as session:
        session.headers.update(api.headers)
        found = find(session, api, tag)
        send(session, api.create(text) if found is None else api.edit(found, text))
    return f"pull-request comment {'created' if found is None else 'updated in place'} ({api.vendor})"
