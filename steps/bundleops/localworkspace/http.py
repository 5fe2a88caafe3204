"""The request/response contract between the local workspace's HTTP server and its API modules.

Each API module (OAuth, SCIM, Workspace, Files, Unity Catalog, Pipelines, Jobs, Runs) exposes
`routes() -> list[Route]`; the server matches the method and path, authenticates the bearer
token, and calls the handler. Handlers raise `ApiError` for every failure, so errors always
have the real Databricks JSON shape: `{"error_code": ..., "message": ...}` with its status.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Union


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]
    # The authenticated identity (application id of a service principal, or a user name);
    # None only on routes declared with `public=True` (discovery and the token endpoint).
    principal: str | None = None
    # Named groups of the route's path pattern, e.g. {"path": "Users/x/file.py"}.
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        """The JSON body; a malformed body is the real API's MALFORMED_REQUEST."""
        if not self.body:
            return {}
        try:
            document = json.loads(self.body)
        except ValueError as error:
            raise ApiError(400, "MALFORMED_REQUEST", f"Could not parse request body as JSON: {error}") from error
        if not isinstance(document, dict):
            raise ApiError(400, "MALFORMED_REQUEST", "Request body must be a JSON object")
        return document

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int = 200
    body: Union[dict[str, Any], list[Any], bytes, None] = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class ApiError(Exception):
    """A failure with the real API's status code, `error_code` and `message`."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message

    def response(self) -> Response:
        return Response(self.status, {"error_code": self.error_code, "message": self.message})


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # a regular expression matched against the whole path, with named groups
    handler: Handler
    public: bool = False  # True: no bearer token needed

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        found = re.fullmatch(self.pattern, path)
        return found.groupdict() if found else None
