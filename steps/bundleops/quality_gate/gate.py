"""Wait for a SonarQube analysis and read its quality gate through the Web API.

The scanner leaves `report-task.txt` (ceTaskId, ceTaskUrl, serverUrl, dashboardUrl). The
background task goes PENDING -> IN_PROGRESS -> SUCCESS | FAILED | CANCELED (`GET api/ce/task`);
on SUCCESS its analysisId names the quality-gate result (`GET api/qualitygates/project_status`).
Works after any scanner (pysonar, sonar-scanner, Maven, Gradle), not only `bundleops publish`.

Exit codes: 0 gate passed; 1 gate status in sonar.fail_on (default ERROR); 2 bad token, bad URL
or unknown task; 3 the analysis failed on the server, the server kept failing, or timeout.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from bundleops.errors import BundleopsError, ExitCode

if TYPE_CHECKING:
    import requests

DEFAULT_REPORT_TASKS = (".scannerwork/report-task.txt", "target/sonar/report-task.txt", "build/sonar/report-task.txt")
RETRIES = 3  # per request, for connection errors and the answers below
TRANSIENT = frozenset({429, 500, 502, 503, 504})  # worth another try; any other status is an answer


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

    def __init__(self, server_url: str, token: str, *, retry_delay: float = 2.0) -> None:
        import requests

        self.server_url = server_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.retry_delay = retry_delay  # doubled after each failed try

    def get(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        import requests

        url = f"{self.server_url}/{path}"
        for attempt in range(1, RETRIES + 1):
            try:
                response = self.session.get(url, params=params, timeout=30)
            except requests.ConnectionError as exc:
                if attempt == RETRIES:
                    raise BundleopsError(f"cannot reach SonarQube at {self.server_url} ({exc.__class__.__name__})", fix="check the server URL and that the CI agent can reach it", code=ExitCode.EXTERNAL_FAILURE) from None
            else:
                if response.status_code not in TRANSIENT:
                    return self._answer(response, path)
                if attempt == RETRIES:
                    raise BundleopsError(f"SonarQube {path} answered HTTP {response.status_code} {RETRIES} times", fix="retry later; the SonarQube server is failing", code=ExitCode.EXTERNAL_FAILURE)
            time.sleep(self.retry_delay * 2 ** (attempt - 1))
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
            return response.json()
        except ValueError:
            raise BundleopsError(f"{self.server_url}/{path} did not answer JSON: not a SonarQube Web API", fix="check the server URL") from None


def _errors(response: "requests.Response") -> str:
    try:
        messages = [e.get("msg", "") for e in response.json().get("errors", [])]
    except (ValueError, AttributeError):
        messages = []
    return "; ".join(m for m in messages if m) or response.reason or "no message"


def wait_for_analysis(client: SonarClient, task: ReportTask, timeout: float, poll: float) -> str:
    """The analysis id once the background task succeeded."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get("api/ce/task", {"id": task.task_id}).get("task", {})
        status = body.get("status")
        if status == "SUCCESS":
            analysis = body.get("analysisId")
            if not analysis:
                raise BundleopsError(f"task {task.task_id} succeeded without an analysisId", fix="check the SonarQube server's background tasks", code=ExitCode.EXTERNAL_FAILURE)
            return analysis
        if status in ("FAILED", "CANCELED"):
            raise BundleopsError(
                f"SonarQube could not process analysis task {task.task_id}: {status}" + (f" ({body['errorMessage']})" if body.get("errorMessage") else ""),
                fix="open the project's Background Tasks in SonarQube for details, then re-run the analysis",
                code=ExitCode.EXTERNAL_FAILURE,
            )
        if time.monotonic() + poll > deadline:
            raise BundleopsError(
                f"analysis task {task.task_id} still {status} after {timeout:g}s",
                fix="raise sonar.timeout_seconds or --timeout, or check the SonarQube server's queue",
                code=ExitCode.EXTERNAL_FAILURE,
            )
        time.sleep(poll)


def quality_gate(client: SonarClient, analysis_id: str) -> GateResult:
    status = client.get("api/qualitygates/project_status", {"analysisId": analysis_id}).get("projectStatus", {})
    conditions = [
        Condition(c.get("metricKey", "?"), c.get("status", "?"), c.get("comparator"), c.get("errorThreshold"), c.get("actualValue"))
        for c in status.get("conditions", [])
    ]
    return GateResult(status.get("status", "NONE"), conditions)
