"""A pipeline update's life: the handle an update runner reports through.

The Pipelines API (pipelines_api.py) keeps pipelines, updates and events; it does not know how an
update runs. It hands each started update to an `UpdateRunner` as an `UpdateRun`, through which
the runner moves the update along its states and writes the pipeline's event log. The runner the
local workspace uses is pipeline_runner.SparkUpdateRunner, which runs the pipeline's sources with
Spark in a process of their own.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELED"})


def event_time() -> str:
    """An event's `timestamp` as the API writes it: RFC 3339 in UTC with milliseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class UpdateRun:
    """One update of one pipeline. Its fields are what `start_update` asked for; a runner changes
    the update only through `progress`, `event` and `finish`, which keep state and log consistent."""

    pipeline_id: str
    pipeline_name: str | None
    update_id: str
    spec: dict[str, Any]  # the pipeline's settings when the update started (`UpdateInfo.config`)
    request: dict[str, Any]  # full_refresh, refresh_selection, full_refresh_selection, validate_only, cause
    creation_time: int
    events: list[dict[str, Any]]  # the pipeline's event log, shared by all its updates
    lock: threading.RLock
    state: str = "QUEUED"
    error: str | None = None  # why it FAILED, as its last event says
    ended: threading.Event = field(default_factory=threading.Event)

    @property
    def active(self) -> bool:
        return self.state not in TERMINAL

    def event(self, level: str, event_type: str, message: str, error: str | None = None, *,
              details: dict[str, Any] | None = None, origin: dict[str, str] | None = None) -> None:
        """Append to the pipeline's event log (an `error` becomes the event's fatal `ErrorDetail`;
        `details` is the event type's structured part, `origin` adds e.g. `flow_name`, `dataset_name`)."""
        entry: dict[str, Any] = {
            "id": str(uuid.uuid4()), "timestamp": event_time(), "level": level, "event_type": event_type,
            "maturity_level": "STABLE", "message": message,
            "origin": {"pipeline_id": self.pipeline_id, "pipeline_name": self.pipeline_name, "update_id": self.update_id, **(origin or {})},
        }
        if details is not None:
            entry["details"] = details
        if error is not None:
            entry["error"] = {"fatal": True, "exceptions": [{"class_name": "LocalWorkspaceError", "message": error}]}
        with self.lock:
            self.events.append(entry)

    def progress(self, state: str, error: str | None = None) -> None:
        """Move to `state` and log it as the API does: an `update_progress` event "Update <id> is <STATE>."."""
        with self.lock:
            if not self.active:
                return
            self.state = state
            self.error = error if state == "FAILED" else None
            self.event("ERROR" if state == "FAILED" else "INFO", "update_progress", f"Update {self.update_id[:6]} is {state}.", error,
                       details={"update_progress": {"state": state}})
        if not self.active:
            self.ended.set()

    def finish(self, state: str, error: str | None = None) -> None:
        """End the update (COMPLETED, FAILED or CANCELED); the pipeline is IDLE again."""
        if state not in TERMINAL:
            raise ValueError(f"{state} does not end an update")
        self.progress(state, error)


class UpdateRunner(Protocol):
    def start(self, run: UpdateRun) -> None:
        """Begin the update and return at once (the HTTP request waits for this)."""

    def stop(self, run: UpdateRun) -> None:
        """Stop an active update (the pipeline's stop, or its deletion); it ends CANCELED."""

    def delete(self, pipeline_id: str) -> None:
        """The pipeline was deleted (its updates have ended): drop the tables its updates wrote and its storage."""
