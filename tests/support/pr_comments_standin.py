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
from urllib.parse import parse_qs, urlparse

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
        size = min(self.page_size, int(query.get("per_page") or query.get("pagelen") or 30))
        page = int(query.get("page") or 1)
        chunk, more = items[(page - 1) * size : page * size], len(items) > page * size
        following = f"{base}?{'pagelen' if vendor == 'bitbucket' else 'per_page'}={size}&page={page + 1}"
        if vendor == "bitbucket":
            return 200, {"values": chunk, "pagelen": size, **({"next": following} if more else {})}, {}
        return 200, chunk, ({"Link": f'<{following}>; rel="next"'} if more else {})


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
            for vendor, method, pattern, what in ROUTES:
                match = re.fullmatch(pattern, parsed.path)
                if match and method == self.command:
                    if not standin.authorised(vendor, self.headers):
                        return self._send(401, {"message": "Bad credentials"}, {})
                    query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
                    with standin._lock:
                        return self._send(*standin.answer(vendor, what, match, query, body, f"{standin.url}{parsed.path}"))
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

