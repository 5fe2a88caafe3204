"""A loopback stand-in for the SonarQube Web API calls bundleops makes after an analysis.

It follows SonarQube's documented contract for exactly these endpoints:
- `GET /api/ce/task?id=<task>`: `{"task": {"id", "status", "analysisId"?, "errorMessage"?}}`; each
  call moves a task one step along its scripted statuses (PENDING -> IN_PROGRESS -> SUCCESS);
  an unknown task is 404 with `{"errors": [{"msg": "No activity found for task '<id>'"}]}`.
- `GET /api/qualitygates/project_status?analysisId=<id>`: `{"projectStatus": {"status",
  "conditions": [{"status", "metricKey", "comparator", "errorThreshold", "actualValue"}]}}`;
  an unknown analysis is 404 with `errors[]`.
- Authentication: `Authorization: Bearer <token>` or HTTP Basic with the token as user name;
  anything else is 401 with an empty body, as SonarQube answers.
- `unavailable = N` makes the next N requests answer 503 (or `unavailable_status`), as SonarQube
  does while starting and a proxy does when the server is down.
Failure modes for the fault tests:
- `stall_seconds = S`: every request waits S seconds before its answer (a stalled server or
  proxy; a client without a read time-out waits with it). stop() releases the waiting requests.
- `unexpected[path] = body`: that endpoint answers 200 with this JSON instead (bytes: sent as
  they are), as an older or different API or a proxy's own page would.
Any other method or path answers 501 with an error naming it, so a client calling something the
stand-in does not model fails loudly instead of passing. It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlparse


@dataclass
class Task:
    statuses: list[str]  # the status each successive poll returns; the last one repeats
    analysis_id: str | None = None
    error_message: str | None = None
    polls: int = 0


@dataclass
class SonarStandIn:
    token: str = "squ_standin_token"
    tasks: dict[str, Task] = field(default_factory=dict)
    gates: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)  # "GET /api/ce/task?id=..." in arrival order
    # Called with each request line while the client waits for the answer (tests look at the
    # machine at that moment, e.g. at the command lines of running processes).
    on_request: Callable[[str], None] | None = None
    # The next N requests answer 503, as SonarQube does while it starts or migrates its database.
    unavailable: int = 0
    unavailable_status: int = 503
    # Every request waits this long before it is answered.
    stall_seconds: float = 0.0
    # Path -> the body that endpoint answers (200) instead of the modelled one.
    unexpected: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._url: str | None = None
        self._released = threading.Event()

    # -- scripting ---------------------------------------------------------------------------
    def add_analysis(self, task_id: str, gate_status: str, conditions: list[dict[str, str]] | None = None, *, statuses: list[str] | None = None, error_message: str | None = None) -> None:
        analysis_id = f"analysis-{task_id}"
        self.tasks[task_id] = Task(statuses or ["PENDING", "IN_PROGRESS", "SUCCESS"], analysis_id, error_message)
        self.gates[analysis_id] = {"status": gate_status, "conditions": conditions or []}

    def write_report_task(self, directory: Path, task_id: str, project_key: str = "p") -> Path:
        """report-task.txt as the scanner writes it in its working directory."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "report-task.txt"
        path.write_text(
            f"projectKey={project_key}\nserverUrl={self.url}\nserverVersion=10.7.0\n"
            f"dashboardUrl={self.url}/dashboard?id={project_key}\nceTaskId={task_id}\n"
            f"ceTaskUrl={self.url}/api/ce/task?id={task_id}\n",
            encoding="utf-8",
        )
        return path

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The base URL; it stays readable after stop() so assertions can name it."""
        assert self._url is not None, "start() the stand-in first"
        return self._url

    def start(self) -> "SonarStandIn":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "SonarStandIn":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the API -----------------------------------------------------------------------------
    def authorised(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, value = header.partition(" ")
        if scheme == "Bearer":
            return value == self.token
        if scheme == "Basic":
            user, _, _ = base64.b64decode(value).decode("utf-8", "replace").partition(":")
            return user == self.token
        return False

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        if path == "/api/ce/task":
            task = self.tasks.get(query.get("id", ""))
            if task is None:
                return 404, {"errors": [{"msg": f"No activity found for task '{query.get('id', '')}'"}]}
            status = task.statuses[min(task.polls, len(task.statuses) - 1)]
            task.polls += 1
            body: dict[str, Any] = {"id": query["id"], "type": "REPORT", "status": status}
            if status == "SUCCESS" and task.analysis_id:
                body["analysisId"] = task.analysis_id
            if status == "FAILED" and task.error_message:
                body["errorMessage"] = task.error_message
            return 200, {"task": body}
        if path == "/api/qualitygates/project_status":
            gate = self.gates.get(query.get("analysisId", ""))
            if gate is None:
                return 404, {"errors": [{"msg": f"Analysis with id '{query.get('analysisId', '')}' is not found"}]}
            return 200, {"projectStatus": {"status": gate["status"], "conditions": gate["conditions"], "ignoredConditions": False}}
        return 501, None


def _handler(standin: SonarStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test logs
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            parsed = urlparse(self.path)
            standin.requests.append(f"GET {self.path}")
            if standin.on_request:
                standin.on_request(f"GET {self.path}")
            query = {key: values[0] for key, values in parse_qs(parsed.query).items()}
            if standin.stall_seconds:
                standin._released.wait(standin.stall_seconds)
            if standin.unavailable > 0:
                standin.unavailable -= 1
                return self._send(standin.unavailable_status, {"errors": [{"msg": "SonarQube is starting"}]})
            known = parsed.path in ("/api/ce/task", "/api/qualitygates/project_status")
            if known and not standin.authorised(self.headers.get("Authorization")):
                return self._send(401, None)
            if parsed.path in standin.unexpected:
                return self._send(200, standin.unexpected[parsed.path])
            status, body = standin.answer(parsed.path, query)
            if status == 501:
                body = {"errors": [{"msg": f"SonarQube stand-in does not implement GET {parsed.path}"}]}
            self._send(status, body)

        def _unsupported(self) -> None:
            standin.requests.append(f"{self.command} {self.path}")
            self._send(501, {"errors": [{"msg": f"SonarQube stand-in does not implement {self.command} {urlparse(self.path).path}"}]})

        do_POST = do_PUT = do_DELETE = do_PATCH = _unsupported  # noqa: N815

        def _send(self, status: int, body: Any) -> None:
            data = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode("utf-8")
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up on a stalled answer
                pass

    return Handler
