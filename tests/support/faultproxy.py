"""A fault-injecting HTTP proxy between a step (databricks-sdk, the CLI stand-in) and the local workspace.

    with FaultProxy(workspace.host, [Rule("GET", r"/api/2\\.\\d/jobs/runs/get", Status(500), first=2)]) as proxy:
        env = {**workspace.env(), "DATABRICKS_HOST": proxy.host}
        ...                        # run the step against proxy.host
        proxy.injected             # what the proxy did, in order

Every request is forwarded unchanged to the upstream host unless a rule matches it. A rule
matches a method (or "*") and a path regular expression (matched against the whole path, without
the query), applies to its Nth..Mth matching request (`first`, `last`, 1-based) and, when given a
probability, to a seeded random share of those. The first rule that matches and fires decides.

Faults are what a real workspace, load balancer or network does to a client: an error status
with the API's JSON body or a proxy's HTML page, a reset connection, a stalled answer, a body
that is not JSON. `after_upstream=True` forwards the request first (so the workspace acts on it:
a run-now starts a run) and then does the fault to the answer, as when a response is lost in flight.
The proxy records every fault it injected (`injected`), so a test can list them in its report.
"""

from __future__ import annotations

import http.client
import json
import random
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Union
from urllib.parse import urlsplit

UPSTREAM_TIMEOUT_SECONDS = 60.0
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "proxy-connection"}


@dataclass(frozen=True)
class Status:
    """Answer with this status; `html` sends a load balancer's HTML page instead of the API's JSON error."""

    status: int
    html: bool = False
    retry_after: int | None = None

    def describe(self) -> str:
        return f"{self.status}{' html' if self.html else ''}"


@dataclass(frozen=True)
class Reset:
    """Close the connection with a TCP RST, no answer."""

    def describe(self) -> str:
        return "reset"


@dataclass(frozen=True)
class Stall:
    """Say nothing for `seconds` (the proxy's stop ends it early), then forward or answer normally."""

    seconds: float

    def describe(self) -> str:
        return f"stall {self.seconds:g}s"


@dataclass(frozen=True)
class BrokenBody:
    """Answer 200 with a body that is cut off in the middle of its JSON."""

    def describe(self) -> str:
        return "broken body"


Fault = Union[Status, Reset, Stall, BrokenBody]


@dataclass
class Rule:
    method: str  # "GET", "POST", ... or "*"
    path: str  # a regular expression matched against the whole path
    fault: Fault
    first: int = 1  # the first matching request (1-based) the fault applies to
    last: int | None = None  # the last one; None: every one from `first` on
    probability: float = 1.0  # with FaultProxy(seed=...): the share of the requests in range that get the fault
    after_upstream: bool = False  # forward first (the workspace acts), then do the fault to the answer
    matched: int = field(default=0, init=False)

    def describe(self) -> str:
        when = " after upstream" if self.after_upstream else ""
        which = f"#{self.first}" + ("+" if self.last is None else f"-{self.last}" if self.last != self.first else "")
        share = f" {self.probability:.0%} of" if self.probability < 1.0 else ""
        return f"{self.fault.describe()}{when} on{share} {which} {self.method} {self.path}"


def unauthorized_after(requests: int, method: str = "*", path: str = r"/api/.*") -> Rule:
    """401 for every matching request after the first `requests` (a token revoked mid-step)."""
    return Rule(method, path, Status(401), first=requests + 1)


@dataclass(frozen=True)
class Injected:
    """One fault the proxy injected."""

    at: float  # seconds since the proxy started
    method: str
    path: str
    fault: str
    after_upstream: bool

    def describe(self) -> str:
        return f"{self.method} {self.path}: {self.fault}{' (after upstream)' if self.after_upstream else ''}"


class FaultProxy:
    """The proxy on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, upstream: str, rules: list[Rule] | None = None, *, seed: int | None = None) -> None:
        self.upstream = urlsplit(upstream)
        self.rules = list(rules or [])
        self.random = random.Random(seed)
        self.injected: list[Injected] = []
        self.seen: list[tuple[str, str]] = []  # every request's method and path, in order
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self.host = f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def requests(self) -> int:
        return len(self.seen)

    def choose(self, method: str, path: str) -> Rule | None:
        """The rule whose fault this request gets (counting it on every matching rule), and record it."""
        with self._lock:
            self.seen.append((method, path))
            chosen = None
            for rule in self.rules:
                if rule.method not in ("*", method) or not re.fullmatch(rule.path, path):
                    continue
                rule.matched += 1
                in_range = rule.first <= rule.matched and (rule.last is None or rule.matched <= rule.last)
                if chosen is None and in_range and (rule.probability >= 1.0 or self.random.random() < rule.probability):
                    chosen = rule
            if chosen is not None:
                self.injected.append(Injected(round(time.monotonic() - self._started, 3), method, path, chosen.fault.describe(), chosen.after_upstream))
            return chosen

    def forward(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=UPSTREAM_TIMEOUT_SECONDS)
        try:
            connection.request(method, target, body=body or None, headers={**headers, "Host": self.upstream.netloc})
            answer = connection.getresponse()
            return answer.status, [(k, v) for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP], answer.read()
        finally:
            connection.close()

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _error_body(status: int, html: bool) -> tuple[str, bytes]:
    if html:
        page = f"<html><head><title>{status} Bad Gateway</title></head><body><center><h1>{status}</h1></center><hr><center>nginx</center></body></html>"
        return "text/html", page.encode()
    code = {401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "RESOURCE_DOES_NOT_EXIST", 429: "REQUEST_LIMIT_EXCEEDED", 503: "TEMPORARILY_UNAVAILABLE"}
    return "application/json", json.dumps({"error_code": code.get(status, "INTERNAL_ERROR"), "message": f"injected fault: {status}"}).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        rule = proxy.choose(self.command, urlsplit(self.path).path)
        answer = None
        if rule is None or rule.after_upstream:
            answer = proxy.forward(self.command, self.path, headers, body)
        fault = rule.fault if rule else None
        if isinstance(fault, Stall):
            proxy.stopping.wait(fault.seconds)
            fault = None
        if isinstance(fault, Reset):
            self._reset()
        elif isinstance(fault, Status):
            content_type, payload = _error_body(fault.status, fault.html)
            extra = [("Retry-After", str(fault.retry_after))] if fault.retry_after is not None else []
            self._write(fault.status, [("Content-Type", content_type), *extra], payload)
        elif isinstance(fault, BrokenBody):
            payload = answer[2] if answer and answer[2] else b'{"run_id": 1, "state": {"life_cycle_state": "RUNNING"}}'
            self._write(200, [("Content-Type", "application/json")], payload[: max(1, len(payload) // 2)])
        else:
            answer = answer or proxy.forward(self.command, self.path, headers, body)
            self._write(*answer)

    def _write(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _reset(self) -> None:
        """SO_LINGER 0 turns the close into a RST: the client sees ECONNRESET, as from a dropped connection."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        """Quiet: the proxy's record (`injected`) is its log."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, proxy: FaultProxy) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.proxy = proxy

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: a client that gave up on a stalled or reset answer is what the faults are for."""
