"""Wait for a SonarQube analysis and read its quality gate through the Web API.

The scanner leaves `report-task.txt` (ceTaskId, ceTaskUrl, serverUrl, dashboardUrl). The
background task goes PENDING -> IN_PROGRESS -> SUCCESS | FAILED | CANCELED (`GET api/ce/task`);
on SUCCESS its analysisId names the quality-gate result (`GET api/qualitygates/project_status`).
Works after any scanner (pysonar, sonar-scanner, Maven, Gradle), not only `bundleops publish`.

Exit codes: 0 gate passed; 1 gate status in sonar.fail_on (default ERROR); 2 bad token, bad URL
or unknown task; 3 the analysis failed on the server, the server kept failing, answered
something that is not the documented JSON, or timeout.

The timeout is a hard limit: every request's own time-out, every pause between polls and every
retry back-off is cut to what is left of it, so the step ends within it even when the server
stalls in the middle of an answer. 429, 5xx, connection errors and read time-outs are retried
with exponential back-off (doubling from the poll interval, at most MAX_BACKOFF seconds).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from bundleops.errors import BundleopsError, ExitCode

if TYPE_CHECKING:
    import requests

DEFAULT_REPORT_TASKS = (".scannerwork/report-task.txt", "target/sonar/report-task.txt", "build/sonar/report-task.txt")
ATTEMPTS = 5  # per request, for connection errors, time-outs and the answers below
TRANSIENT = frozenset({429, 500, 502, 503, 504})  # worth another try; any other status is an answer
REQUEST_TIMEOUT = 30.0  # seconds one request may take, when the deadline leaves that much
MAX_BACKOFF = 30.0
TASK_STATUSES = ("PENDING", "IN_PROGRESS", "SUCCESS", "FAILED", "CANCELED")  # api/ce/task task.status
FIX_NOT_SONAR = "check that serverUrl in report-task.txt is the SonarQube server the scanner used (not a proxy or another service)"


class Deadline:
    """The moment `--timeout` runs out; everything that waits asks it how long it may."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        return self._end - time.monotonic()

    def expired(self, what: str, kind: type[BundleopsError] = BundleopsError) -> BundleopsError:
        return kind(
            f"{what}; --timeout {self.seconds:g}s ran out",
            fix="raise sonar.timeout_seconds or --timeout, or check the SonarQube server (its queue, its load, the network to it)",
            code=ExitCode.EXTERNAL_FAILURE,
        )


class NotAskedAgain(BundleopsError):
    """The deadline ran out before a request was sent: the caller, who knows what it was waiting for, says so."""


@dataclass(frozen=True)
class ReportTask:
    task_id: str
    server_url: str
    dashboard_url: str | None
    source: Path


@dataclass(frozen=True)
class Condition:
    metric: str
    status: str
    comparator: str | None
    threshold: str | None
    actual: str | None

    def describe(self) -> str:
        op = {"GT": ">", "LT": "<"}.get(self.comparator or "", self.comparator or "?")
        return f"{self.metric} = {self.actual} (fails when {op} {self.threshold})"


@dataclass(frozen=True)
class GateResult:
    status: str  # OK, WARN, ERROR, NONE
    conditions: list[Condition] = field(default_factory=list)

    @property
    def failing(self) -> list[Condition]:
        return [c for c in self.conditions if c.status in ("ERROR", "WARN")]


def read_report_task(path: Path | None, project_root: Path) -> ReportTask:
    candidates = [path] if path else [project_root / p for p in DEFAULT_REPORT_TASKS]
    found = next((p for p in candidates if p.is_file()), None)
    if found is None:
        raise BundleopsError(
            f"no report-task.txt: looked at {', '.join(str(p) for p in candidates)}",
            fix="run the SonarQube scanner first (`bundleops publish --sonar`), or pass --report-task PATH",
        )
    values: dict[str, str] = {}
    for line in found.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    missing = [key for key in ("ceTaskId", "serverUrl") if not values.get(key)]
    if missing:
        raise BundleopsError(f"{found}: no {' and no '.join(missing)}", fix="pass the report-task.txt the scanner wrote for this analysis")
    server = values["serverUrl"].rstrip("/")
    parsed = urlparse(server)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise BundleopsError(f"{found}: serverUrl {server!r} is not an http(s) URL", fix="check sonar.host.url / SONAR_HOST_URL used by the scanner")
    return ReportTask(values["ceTaskId"], server, values.get("dashboardUrl"), found)


class SonarClient:
    """The two Web API calls, with the answers that mean 'your input is wrong' told apart from outages."""

    def __init__(self, server_url: str, token: str, deadline: Deadline, *, retry_delay: float = 2.0) -> None:
        import requests

        self.server_url = server_url
        self.deadline = deadline
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.retry_delay = retry_delay  # doubled after each failed try

    def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        import requests

        url = f"{self.server_url}/{path}"
        for attempt in range(1, ATTEMPTS + 1):
            budget = min(REQUEST_TIMEOUT, self.deadline.remaining())
            if budget <= 0:
                raise self.deadline.expired(f"SonarQube {path} was not asked again", NotAskedAgain)
            try:
                response = self.session.get(url, params=params, timeout=budget)
            except requests.Timeout:
                failure = f"did not answer within {budget:.3g}s (read time-out)"
            except requests.ConnectionError as exc:
                failure = f"cannot be reached at {self.server_url} ({exc.__class__.__name__})"
            else:
                if response.status_code not in TRANSIENT:
                    return self._answer(response, path)
                failure = f"answered HTTP {response.status_code}"
            pause = min(self.retry_delay * 2 ** (attempt - 1), MAX_BACKOFF)
            if attempt == ATTEMPTS:
                raise BundleopsError(f"SonarQube {path} {failure}, {ATTEMPTS} times", fix="retry later; check that the CI agent reaches the SonarQube server and that it is up", code=ExitCode.EXTERNAL_FAILURE)
            if pause >= self.deadline.remaining():
                raise self.deadline.expired(f"SonarQube {path} {failure}")
            time.sleep(pause)
        raise AssertionError("unreachable")

    def _answer(self, response: "requests.Response", path: str) -> dict[str, Any]:
        if response.status_code in (401, 403):
            raise BundleopsError(
                f"SonarQube {self.server_url} refused the token (HTTP {response.status_code} on {path})",
                fix="set SONAR_TOKEN to a valid token with Browse permission on the project",
            )
        if response.status_code != 200:
            raise BundleopsError(
                f"SonarQube {path} answered HTTP {response.status_code}: {_errors(response)}",
                fix="check the server URL (is it SonarQube?) and that report-task.txt belongs to this server",
            )
        try:
            body = response.json()
        except ValueError:
            raise BundleopsError(f"{self.server_url}/{path} did not answer JSON: not a SonarQube Web API", fix=FIX_NOT_SONAR) from None
        return expect(body, dict, "the answer", path)


JSON_TYPES = {dict: "a JSON object", list: "a JSON array", str: "a non-empty string"}


def expect(value: Any, kind: type, what: str, path: str) -> Any:
    """The value when it has the documented JSON type; a named error (exit 3) instead of a traceback otherwise."""
    if isinstance(value, kind) and (kind is not str or value):
        return value
    raise unexpected(path, what, value, JSON_TYPES[kind])


def unexpected(path: str, what: str, value: Any, expected: str) -> BundleopsError:
    shown = "missing" if value is None else json.dumps(value)[:80]
    return BundleopsError(f"SonarQube {path} answered an unexpected JSON shape: {what} is {shown}, expected {expected}", fix=FIX_NOT_SONAR, code=ExitCode.EXTERNAL_FAILURE)


def _errors(response: "requests.Response") -> str:
    try:
        messages = [e.get("msg", "") for e in response.json().get("errors", [])]
    except (ValueError, AttributeError):
        messages = []
    return "; ".join(m for m in messages if m) or response.reason or "no message"


def wait_for_analysis(client: SonarClient, task: ReportTask, poll: float) -> str:
    """The analysis id once the background task succeeded, within the client's deadline."""
    path = "api/ce/task"
    status = ""
    while True:
        try:
            answer = client.get(path, {"id": task.task_id})
        except NotAskedAgain:
            if not status:
                raise
            # the pause before this poll overran the deadline (a busy machine): the last status is the news
            raise client.deadline.expired(still_waiting(task, status, client.deadline)) from None
        body = expect(answer.get("task"), dict, "task", path)
        status = expect(body.get("status"), str, "task.status", path)
        if status == "SUCCESS":
            return expect(body.get("analysisId"), str, "task.analysisId of a SUCCESS task", path)
        if status in ("FAILED", "CANCELED"):
            raise BundleopsError(
                f"SonarQube could not process analysis task {task.task_id}: {status}" + (f" ({body['errorMessage']})" if body.get("errorMessage") else ""),
                fix="open the project's Background Tasks in SonarQube for details, then re-run the analysis",
                code=ExitCode.EXTERNAL_FAILURE,
            )
        if status not in TASK_STATUSES:
            raise unexpected(path, "task.status", status, f"one of {', '.join(TASK_STATUSES)}")
        if poll >= client.deadline.remaining():
            raise client.deadline.expired(still_waiting(task, status, client.deadline))
        time.sleep(poll)


def still_waiting(task: ReportTask, status: str, deadline: Deadline) -> str:
    return f"analysis task {task.task_id} still {status} after {deadline.seconds:g}s"


def quality_gate(client: SonarClient, analysis_id: str) -> GateResult:
    path = "api/qualitygates/project_status"
    status = expect(client.get(path, {"analysisId": analysis_id}).get("projectStatus"), dict, "projectStatus", path)
    conditions = [
        Condition(
            str(c.get("metricKey", "?")), str(c.get("status", "?")), _text(c.get("comparator")), _text(c.get("errorThreshold")), _text(c.get("actualValue")),
        )
        for c in (expect(c, dict, "a condition", path) for c in expect(status.get("conditions", []), list, "projectStatus.conditions", path))
    ]
    return GateResult(expect(status.get("status"), str, "projectStatus.status", path), conditions)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
