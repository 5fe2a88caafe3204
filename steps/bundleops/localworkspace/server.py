"""The loopback HTTP server: parse, authenticate, route, and answer in the API's JSON shapes.

Routing is a flat list of `Route`s from each API module. A path no module serves answers
501 NOT_IMPLEMENTED naming the method and path, so a client feature the local workspace lacks
fails loudly instead of receiving a plausible but empty answer.

`Dispatcher.record()` turns on a request log (off by default, `stop_recording()` ends it): every request with its answer,
in arrival order, as the real CLI's acceptance tests record `out.requests.txt` on their fake
server. Tests compare the CLI stand-in's calls with the real CLI's through it.

`latency_seconds` delays every request by that much, half before it takes effect and half after
(a round trip), in the request's own thread, so requests still run concurrently: a real workspace is a network round trip away, and a benchmark of how often a
step asks, or of steps running side by side, means nothing on a loopback server answering in
microseconds.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Sequence
from urllib.parse import parse_qsl, urlsplit

from bundleops.localworkspace.http import ApiError, Request, Response, Route
from bundleops.localworkspace.identity import Directory, Principal, TokenError

log = logging.getLogger("bundleops.localworkspace")


@dataclass(frozen=True)
class Exchange:
    """One logged request and the status (and `error_code`, for a failure) it was answered with."""

    request: Request
    status: int
    error_code: str | None


class Dispatcher:
    def __init__(self, routes: Sequence[Route], directory: Directory, latency_seconds: float = 0.0) -> None:
        if latency_seconds < 0:
            raise ValueError(f"latency_seconds must be 0 or more, not {latency_seconds}")
        self.routes = list(routes)
        self.directory = directory
        self.latency_seconds = latency_seconds
        self._log: list[Exchange] | None = None
        self._log_lock = threading.Lock()

    def record(self) -> list[Exchange]:
        """Start logging requests (from now on, into a new list, which is returned and filled live)."""
        with self._log_lock:
            self._log = []
            return self._log

    def stop_recording(self) -> list[Exchange]:
        """Stop logging; the requests logged since `record()` (empty when it was off)."""
        with self._log_lock:
            log, self._log = self._log or [], None
            return log

    def handle(self, request: Request) -> Response:
        time.sleep(self.latency_seconds / 2)  # the way there
        response = self._answer(request)
        time.sleep(self.latency_seconds / 2)  # the way back
        if self._log is not None:
            error_code = response.body.get("error_code") if isinstance(response.body, dict) else None
            with self._log_lock:
                self._log.append(Exchange(request, response.status, error_code))
        return response

    def _answer(self, request: Request) -> Response:
        try:
            for route in self.routes:
                params = route.match(request.method, request.path)
                if params is None:
                    continue
                request.params = params
                if not route.public:
                    request.principal = self._authenticate(request).user_name
                return route.handler(request)
            raise ApiError(501, "NOT_IMPLEMENTED", f"the local workspace does not implement {request.method} {request.path}")
        except ApiError as error:
            return error.response()

    def _authenticate(self, request: Request) -> Principal:
        header = request.header("Authorization") or ""
        if not header.startswith("Bearer "):
            raise ApiError(401, "UNAUTHENTICATED", "Credential was not sent or was of an unsupported type for this API.")
        try:
            return self.directory.authenticate(header[len("Bearer "):])
        except TokenError as error:
            raise ApiError(401, "UNAUTHENTICATED", error.description) from error


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=url.path,
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            body=body,
            headers={key.lower(): value for key, value in self.headers.items()},
        )
        response = self.server.dispatcher.handle(request)
        self._write(response)

    def _write(self, response: Response) -> None:
        if isinstance(response.body, (bytes, bytearray)):
            payload = bytes(response.body)
        else:
            payload = json.dumps({} if response.body is None else response.body).encode()
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        log.debug("%s %s", self.address_string(), format % args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, dispatcher: Dispatcher) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.dispatcher = dispatcher


class HttpServer:
    """The server on 127.0.0.1 in a background thread."""

    def __init__(self, port: int, dispatcher: Dispatcher) -> None:
        self._server = _Server(port, dispatcher)
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-workspace", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
