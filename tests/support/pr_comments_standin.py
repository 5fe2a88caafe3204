"""A loopback stand-in for the pull-request comment APIs `bundleops preview` calls, one server for all four.

Each route follows its vendor's documented contract for exactly these calls:
- GitHub REST: `GET|POST /repos/{owner}/{repo}/issues/{n}/comments` (`per_page`, `page`; a `Link:
  <...>; rel="next"` header while more pages follow), `PATCH /repos/{owner}/{repo}/issues/comments/{id}`;
  `Authorization: Bearer <token>`; comments `{id, body}`; a body over 65,536 characters is 422.
- GitLab v4: `GET|POST /api/v4/projects/{id}/merge_requests/{iid}/notes` (`per_page`, `page`, `Link`),
  `PUT .../notes/{note_id}`; `PRIVATE-TOKEN: <token>`; notes `{id, body}`.
- Azure DevOps: `GET|POST /{org}/{project}/_apis/git/repositories/{repo}/pullRequests/{id}/threads`,
  `PATCH .../threads/{thread}/comments/{comment}`, all with `api-version`; `Authorization: Bearer`;
  threads `{id, status, comments: [{id, parentCommentId, content, commentType}]}` in `{value, count}`.
- Bitbucket 2.0: `GET|POST /2.0/repositories/{workspace}/{repo}/pullrequests/{id}/comments` (`pagelen`,
  `next`), `PUT .../comments/{id}`; `Authorization: Bearer`; comments `{id, content: {raw}}`.
- Bitbucket Code Insights, as Bitbucket Pipelines' proxy (localhost:29418) serves it: `PUT
  http://api.bitbucket.org/2.0/repositories/{workspace}/{repo}/commit/{commit}/reports/{id}` sent to
  the proxy (an absolute URL in the request line), no token; the report replaces any of that id.
- Issues (the drift check's one issue per bundle and target):
  GitHub `GET /repos/{owner}/{repo}/issues` (`state` open|closed|all, default open; `per_page`, `page`,
  `Link`; pull requests are listed too, marked by a `pull_request` key), `POST .../issues` (`title`
  required, `body`: 201), `PATCH .../issues/{number}` (`title`, `body`, `state` open|closed,
  `state_reason`), and comments on an issue through the issue-comment routes above (issues and pull
  requests share their numbers); GitLab v4 `GET /api/v4/projects/{id}/issues` (`state`
  opened|closed|all, default all), `POST .../issues` (`title` required, `description`: 201), `PUT
  .../issues/{iid}` (`title`, `description`, `state_event` close|reopen), `POST .../issues/{iid}/notes`.
A wrong or missing token is 401; any other method or path is 501 naming it, so a client calling
something the stand-in does not model fails loudly. It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

ROUTES = (
    # (vendor, method, pattern, what): what is list, create or edit
    ("github", "GET", r"/repos/[^/]+/[^/]+/issues/(?P<thread>\d+)/comments", "list"),
    ("github", "POST", r"/repos/[^/]+/[^/]+/issues/(?P<thread>\d+)/comments", "create"),
    ("github", "PATCH", r"/repos/[^/]+/[^/]+/issues/comments/(?P<id>\d+)", "edit"),
    ("gitlab", "GET", r"/api/v4/projects/[^/]+/merge_requests/(?P<thread>\d+)/notes", "list"),
    ("gitlab", "POST", r"/api/v4/projects/[^/]+/merge_requests/(?P<thread>\d+)/notes", "create"),
    ("gitlab", "PUT", r"/api/v4/projects/[^/]+/merge_requests/\d+/notes/(?P<id>\d+)", "edit"),
    ("azure", "GET", r"/[^/]+/[^/]+/_apis/git/repositories/[^/]+/pullRequests/(?P<thread>\d+)/threads", "list"),
    ("azure", "POST", r"/[^/]+/[^/]+/_apis/git/repositories/[^/]+/pullRequests/(?P<thread>\d+)/threads", "create"),
    ("azure", "PATCH", r"/[^/]+/[^/]+/_apis/git/repositories/[^/]+/pullRequests/\d+/threads/(?P<id>\d+)/comments/1", "edit"),
    ("bitbucket", "GET", r"/2\.0/repositories/[^/]+/[^/]+/pullrequests/(?P<thread>\d+)/comments", "list"),
    ("bitbucket", "POST", r"/2\.0/repositories/[^/]+/[^/]+/pullrequests/(?P<thread>\d+)/comments", "create"),
    ("bitbucket", "PUT", r"/2\.0/repositories/[^/]+/[^/]+/pullrequests/\d+/comments/(?P<id>\d+)", "edit"),
)
ISSUE_ROUTES = (
    # (vendor, method, pattern, what)
    ("github", "GET", r"/repos/[^/]+/[^/]+/issues", "list"),
    ("github", "POST", r"/repos/[^/]+/[^/]+/issues", "open"),
    ("github", "PATCH", r"/repos/[^/]+/[^/]+/issues/(?P<number>\d+)", "edit"),
    ("gitlab", "GET", r"/api/v4/projects/[^/]+/issues", "list"),
    ("gitlab", "POST", r"/api/v4/projects/[^/]+/issues", "open"),
    ("gitlab", "PUT", r"/api/v4/projects/[^/]+/issues/(?P<number>\d+)", "edit"),
    ("gitlab", "POST", r"/api/v4/projects/[^/]+/issues/(?P<number>\d+)/notes", "note"),
)
ISSUE_STATES = {"github": ("open", "closed"), "gitlab": ("opened", "closed")}
GITHUB_BODY_LIMIT = 65_536
REPORT = r"/2\.0/repositories/[^/]+/[^/]+/commit/(?P<commit>[0-9a-f]+)/reports/(?P<id>[A-Za-z0-9-]+)"


@dataclass
class PullRequestComments:
    token: str = "pr-comment-token-0123456789abcdef"
    # (vendor, pull request number) -> {comment id: text}, in creation order
    comments: dict[tuple[str, int], dict[int, str]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)  # "PATCH /repos/..." in arrival order
    page_size: int = 100  # the largest page it serves, whatever the client asks
    reports: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (commit, report id) -> report
    # vendor -> issue number -> {title, body, state, state_reason, pull_request, notes}
    issues: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._next_id = 1
        self._lock = threading.RLock()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the stand-in first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "PullRequestComments":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def add(self, vendor: str, number: int, text: str) -> int:
        """A comment someone else wrote."""
        with self._lock:
            comment_id, self._next_id = self._next_id, self._next_id + 1
            self.comments.setdefault((vendor, number), {})[comment_id] = text
        return comment_id

    def texts(self, vendor: str, number: int) -> list[str]:
        return list(self.comments.get((vendor, number), {}).values())

    def add_issue(self, vendor: str, title: str, body: str, *, pull_request: bool = False, state: str | None = None) -> int:
        """An issue (or, on GitHub, a pull request, which the issue list also returns) someone else opened."""
        with self._lock:
            number = max([*self.issues.get(vendor, {}), *(n for v, n in self.comments if v == vendor), 0]) + 1
            self.issues.setdefault(vendor, {})[number] = {"title": title, "body": body, "state": state or ISSUE_STATES[vendor][0], "state_reason": None,
                                                          "pull_request": pull_request, "notes": []}
        return number

    def issue_comments(self, vendor: str, number: int) -> list[str]:
        """The comments on an issue: GitHub's through the issue-comment routes, GitLab's notes."""
        return self.texts(vendor, number) if vendor == "github" else list(self.issues[vendor][number]["notes"])

    def answer_issue(self, vendor: str, what: str, match: re.Match[str], query: dict[str, str], body: Any, base: str) -> tuple[int, Any, dict[str, str]]:
        issues = self.issues.setdefault(vendor, {})
        opened, closed = ISSUE_STATES[vendor]
        if what == "list":
            wanted = query.get("state") or (opened if vendor == "github" else "all")
            if wanted not in (opened, closed, "all"):
                return 422 if vendor == "github" else 400, {"message": f"state must be {opened}, {closed} or all"}, {}
            found = [_issue(vendor, number, issue, base) for number, issue in sorted(issues.items(), reverse=True)
                     if wanted == "all" or issue["state"] == wanted]
            return self._page(vendor, found, query, base)
        if not isinstance(body, dict):
            return 400, {"message": "a JSON object is required"}, {}
        text_field = "body" if vendor == "github" else "description"
        if what == "open":
            if not isinstance(body.get("title"), str) or not body["title"]:
                return (422, {"message": "Validation Failed", "errors": [{"field": "title", "code": "missing_field"}]}, {}) if vendor == "github" \
                    else (400, {"message": "title is missing"}, {})
            number = self.add_issue(vendor, body["title"], str(body.get(text_field) or ""))
            return 201, _issue(vendor, number, issues[number], base), {}
        number = int(match["number"])
        issue = issues.get(number)
        if issue is None:
            return 404, {"message": "404 Not found"}, {}
        if what == "note":
            if not isinstance(body.get("body"), str):
                return 400, {"message": "body is missing"}, {}
            issue["notes"].append(body["body"])
            return 201, {"id": len(issue["notes"]), "body": body["body"]}, {}
        change = _issue_change(vendor, body)
        if isinstance(change, str):
            return 422 if vendor == "github" else 400, {"message": change}, {}
        issue.update(change)
        return 200, _issue(vendor, number, issue, base), {}

    # -- the API -----------------------------------------------------------------------------
    def authorised(self, vendor: str, headers: Any) -> bool:
        if vendor == "gitlab":
            return headers.get("PRIVATE-TOKEN") == self.token
        return headers.get("Authorization") == f"Bearer {self.token}"

    def answer(self, vendor: str, what: str, match: re.Match[str], query: dict[str, str], body: Any, base: str) -> tuple[int, Any, dict[str, str]]:
        if what == "list":
            return self._list(vendor, int(match["thread"]), query, base)
        text = _text(vendor, body)
        if not isinstance(text, str):
            return 400, {"message": "no comment text in the request"}, {}
        if vendor == "github" and len(text) > GITHUB_BODY_LIMIT:
            return 422, {"message": "Validation Failed", "errors": [{"field": "body", "code": "custom", "message": "body is too long (maximum is 65536 characters)"}]}, {}
        if what == "create":
            number = int(match["thread"])
            return (200 if vendor == "azure" else 201), _shape(vendor, self.add(vendor, number, text), text), {}
        comment_id = int(match["id"])
        for thread in self.comments.values():
            if comment_id in thread:
                thread[comment_id] = text
                return 200, _shape(vendor, comment_id, text), {}
        return 404, {"message": "Not Found"}, {}

    def _list(self, vendor: str, number: int, query: dict[str, str], base: str) -> tuple[int, Any, dict[str, str]]:
        items = [_shape(vendor, comment_id, text) for comment_id, text in self.comments.get((vendor, number), {}).items()]
        if vendor == "azure":
            return 200, {"value": items, "count": len(items)}, {}
        return self._page(vendor, items, query, base)

    def _page(self, vendor: str, items: list[Any], query: dict[str, str], base: str) -> tuple[int, Any, dict[str, str]]:
        """One page of a listing: `per_page`/`page` and a `Link` header (GitHub, GitLab), `pagelen` and `next` (Bitbucket)."""
        size = min(self.page_size, int(query.get("per_page") or query.get("pagelen") or (20 if vendor == "gitlab" else 30)))
        page = int(query.get("page") or 1)
        chunk, more = items[(page - 1) * size : page * size], len(items) > page * size
        following = f"{base}?{urlencode({**query, 'pagelen' if vendor == 'bitbucket' else 'per_page': size, 'page': page + 1})}"  # the other filters stay
        if vendor == "bitbucket":
            return 200, {"values": chunk, "pagelen": size, **({"next": following} if more else {})}, {}
        return 200, chunk, ({"Link": f'<{following}>; rel="next"'} if more else {})


def _issue(vendor: str, number: int, issue: dict[str, Any], base: str) -> dict[str, Any]:
    """An issue as the vendor's API returns it (the fields bundleops reads, and the state)."""
    root = base.split("/issues")[0]
    if vendor == "gitlab":
        return {"iid": number, "title": issue["title"], "description": issue["body"], "state": issue["state"], "web_url": f"{root}/issues/{number}"}
    shaped = {"number": number, "title": issue["title"], "body": issue["body"], "state": issue["state"], "state_reason": issue["state_reason"],
              "html_url": f"{root}/issues/{number}"}
    return {**shaped, "pull_request": {"url": f"{root}/pulls/{number}"}} if issue["pull_request"] else shaped


def _issue_change(vendor: str, body: dict[str, Any]) -> dict[str, Any] | str:
    """What an edit sets (title, text, state), or why the vendor refuses it."""
    text_field = "body" if vendor == "github" else "description"
    change = {name: body[source] for name, source in (("title", "title"), ("body", text_field)) if isinstance(body.get(source), str)}
    if vendor == "github" and "state" in body:
        if body["state"] not in ("open", "closed"):
            return "state must be open or closed"
        change.update(state=body["state"], state_reason=body.get("state_reason"))
    if vendor == "gitlab" and "state_event" in body:
        if body["state_event"] not in ("close", "reopen"):
            return "state_event does not have a valid value"
        change["state"] = "closed" if body["state_event"] == "close" else "opened"
    return change


def _text(vendor: str, body: Any) -> Any:
    if not isinstance(body, dict):
        return None
    if vendor == "azure":
        return body["comments"][0]["content"] if "comments" in body else body.get("content")
    if vendor == "bitbucket":
        return (body.get("content") or {}).get("raw")
    return body.get("body")


def _shape(vendor: str, comment_id: int, text: str) -> dict[str, Any]:
    if vendor == "azure":
        return {"id": comment_id, "status": "active", "comments": [{"id": 1, "parentCommentId": 0, "content": text, "commentType": "text"}]}
    if vendor == "bitbucket":
        return {"id": comment_id, "content": {"raw": text}}
    return {"id": comment_id, "body": text}


def _handler(standin: PullRequestComments) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test logs
            pass

        def _serve(self) -> None:
            parsed = urlparse(self.path)
            standin.requests.append(f"{self.command} {parsed.path}")
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null") if length else None
            report = re.fullmatch(REPORT, parsed.path)
            if report and self.command == "PUT":
                if not self.path.startswith("http://api.bitbucket.org/"):
                    return self._send(400, {"error": {"message": "the reports proxy takes http://api.bitbucket.org/ URLs only"}}, {})
                standin.reports[(report["commit"], report["id"])] = body
                return self._send(200, {"type": "report", "uuid": "{" + report["id"] + "}", **body}, {})
            routes = [(route, standin.answer) for route in ROUTES] + [(route, standin.answer_issue) for route in ISSUE_ROUTES]
            for (vendor, method, pattern, what), answer in routes:
                match = re.fullmatch(pattern, parsed.path)
                if match and method == self.command:
                    if not standin.authorised(vendor, self.headers):
                        return self._send(401, {"message": "Bad credentials"}, {})
                    query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
                    with standin._lock:
                        return self._send(*answer(vendor, what, match, query, body, f"{standin.url}{parsed.path}"))
            self._send(501, {"message": f"pull-request comment stand-in does not implement {self.command} {parsed.path}"}, {})

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815

        def _send(self, status: int, body: Any, headers: dict[str, str]) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler

