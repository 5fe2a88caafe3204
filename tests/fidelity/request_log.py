"""The CLI stand-in's REST calls against the real CLI's, as one line per call.

`requests/*.yml` holds, per operation, the calls the real CLI makes (written by hand from its
recorded request logs; each file names them), and optionally `only`: the filter the recorded
log was made with (a path substring and the methods kept). The local workspace's request log
(`Dispatcher.record()`) is reduced to the same shape: method and unescaped path, the query, the
body fields the expected log names for that call, and the answer (status, and `error_code` for
a failure). Auth discovery and token calls are left out of both: they depend on the auth type,
not on the CLI. The deploying identity and the job id become the recorded placeholders.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import yaml

if TYPE_CHECKING:
    from bundleops.localworkspace.server import Exchange

EXPECTED = sorted((Path(__file__).parent / "requests").glob("*.yml"))


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def render(call: str, query: dict[str, str] | None, body: dict[str, Any] | None, answer: str) -> str:
    parts = [call]
    if query:
        parts.append(json.dumps(query, sort_keys=True))
    if body:
        parts.append(json.dumps(body, sort_keys=True))
    return " ".join(parts) + f" -> {answer}"


def expected_lines(calls: list[dict[str, Any]]) -> list[str]:
    return [render(call["call"], call.get("query"), call.get("body"), str(call["answer"])) for call in calls]


def body_fields(document: dict[str, Any]) -> dict[str, set[str]]:
    """For each call, the body fields any operation of the expected log compares."""
    fields: dict[str, set[str]] = {}
    for calls in document["operations"].values():
        for call in calls:
            fields.setdefault(call["call"], set()).update(call.get("body") or {})
    return fields


def _body(raw: bytes, wanted: set[str]) -> dict[str, Any] | None:
    if not wanted:
        return None
    try:
        document = json.loads(raw or b"{}")
    except ValueError:
        return {"<body>": "not JSON"}
    return {key: document[key] for key in sorted(wanted) if key in document}


def _kept(request: Any, only: dict[str, Any] | None) -> bool:
    if not request.path.startswith("/api/"):
        return False
    if not only:
        return True
    return only["contains"] in request.path and request.method in only["methods"]


def actual_lines(log: list[Exchange], document: dict[str, Any], user: str, job_id: str | None) -> list[str]:
    fields = body_fields(document)
    lines = []
    for exchange in log:
        request = exchange.request
        if not _kept(request, document.get("only")):
            continue
        call = _placeholders(f"{request.method} {unquote(request.path)}", user, job_id)
        answer = f"{exchange.status} {exchange.error_code}" if exchange.status >= 400 and exchange.error_code else str(exchange.status)
        lines.append(_placeholders(render(call, request.query, _body(request.body, fields.get(call, set())), answer), user, job_id))
    return lines


def _placeholders(line: str, user: str, job_id: str | None) -> str:
    line = line.replace(user, "[USERNAME]")
    if job_id:
        line = re.sub(rf'"job_id": "?{job_id}"?', '"job_id": "[NUMID]"', line)
        line = line.replace(f"/jobs/{job_id}", "/jobs/[NUMID]")
    return line
