"""Workspace calls under one discipline (`Calls.call`): every call of `bundleops test`, and the
deploy lock check and credential check of `deploy`, `validate` and `auth`.

- Each attempt runs in a worker thread and the step waits on it in short slices, so a CI cancel
  is answered at once even while a request is stalled (a blocked socket cannot be interrupted).
- What is retried: every call here is safe to repeat (a GET, a cancel, run-now with its
  idempotency token), and is retried on what databricks-sdk does not retry itself (a 500, a gateway page, a
  broken body; see workspace_errors.py), with growing pauses, until the step's retry window
  (`auth.retry_timeout_seconds`) from its first attempt has passed. The SDK's own retries of
  429/503/resets/timeouts happen inside an attempt, bounded by the same window.
- Once the step cleans up (`guard.cleaning`), calls stop being interruptible and are
  bounded by that deadline instead, so a cancel is itself retried but never outlives the CI's
  grace period.
- A failure that is left is a BundleopsError naming the endpoint, its exit class and the fix.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from bundleops.errors import BundleopsError, ExitCode
from bundleops.cancel_signals import Guard
from bundleops.workspace_errors import is_transient, to_error

T = TypeVar("T")
SLICE_SECONDS = 0.05
MAX_PAUSE_SECONDS = 5.0
CLEAN_UP_PAUSE_SECONDS = 0.5  # a cancel racing a CI's kill retries fast


class OutOfTime(BundleopsError):
    """The clean-up deadline passed while a call was still going on."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(f"{endpoint} did not finish before the clean-up deadline", code=ExitCode.EXTERNAL_FAILURE)


@dataclass
class Calls:
    guard: Guard
    window_seconds: float
    host: str = ""

    def call(self, endpoint: str, action: Callable[[], T], *, retry_on: tuple[type[BaseException], ...] = ()) -> T:
        """`action()`'s result, retried while the failure is transient (or one of `retry_on`).

        Every call of the test step is safe to repeat (reads, a cancel, run-now with its token);
        a step with calls that are not must not send them through here.
        """
        window_ends = time.monotonic() + self.window_seconds
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(endpoint, action)
            except BundleopsError:
                raise
            except Exception as error:  # noqa: BLE001 - every failure is classified here
                pause = CLEAN_UP_PAUSE_SECONDS if self.guard.cleaning else min(float(attempt), MAX_PAUSE_SECONDS)
                retry = is_transient(error) or isinstance(error, retry_on)
                if not retry or time.monotonic() + pause >= min(window_ends, time.monotonic() + self.guard.remaining()):
                    raise to_error(error, endpoint, host=self.host, window_seconds=self.window_seconds if retry else None) from None
            self.pause(pause, endpoint)

    def pause(self, seconds: float, endpoint: str = "the wait") -> None:
        """Sleep, ending early (Interrupted / OutOfTime) exactly as a call would."""
        done = threading.Event()
        self._wait(done, time.monotonic() + seconds, endpoint)

    def _attempt(self, endpoint: str, action: Callable[[], T]) -> T:
        outcome: dict[str, object] = {}
        done = threading.Event()

        def work() -> None:
            try:
                outcome["value"] = action()
            except BaseException as error:  # noqa: BLE001 - handed to the waiting thread
                outcome["error"] = error
            finally:
                done.set()

        threading.Thread(target=work, name=f"workspace {endpoint}", daemon=True).start()
        self._wait(done, None, endpoint)
        if "error" in outcome:
            raise outcome["error"]  # type: ignore[misc]
        return outcome["value"]  # type: ignore[return-value]

    def _wait(self, done: threading.Event, until: float | None, endpoint: str) -> None:
        """Until `done` is set or `until` passes; a signal (before the clean-up) or the clean-up deadline ends it early."""
        while not done.wait(SLICE_SECONDS):
            if until is not None and time.monotonic() >= until:
                return
            if self.guard.cleaning:
                if self.guard.remaining() <= 0:
                    raise OutOfTime(endpoint)
            elif self.guard.stop.is_set():
                raise self.guard.interruption()
