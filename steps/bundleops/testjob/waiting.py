"""Wait for the test run in our own loop, with progress lines, a timeout, and cancellation.

The SDK's waiter is not used: it returns normally for some failed runs and raises for others,
gives up after 20 minutes without cancelling, and cannot be interrupted cleanly. Here a timeout
or a SIGTERM/SIGINT from the CI (a cancelled pipeline) cancels the remote run and waits for it to
end, so nothing is left running in the workspace.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from bundleops.errors import BundleopsError, ExitCode
from bundleops.output import CIWriter

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.jobs import Run

TERMINAL = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")
MAX_POLL_SECONDS = 10.0
PROGRESS_EVERY_SECONDS = 30.0
CANCEL_WAIT_SECONDS = 120.0


class Interrupted(Exception):
    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signal_name = signal.Signals(signum).name


@contextmanager
def _signals_interrupt() -> Iterator[threading.Event]:
    """SIGTERM and SIGINT set an event the loop wakes up on (main thread only; elsewhere a no-op)."""
    stop = threading.Event()
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: object) -> None:
        received.append(signum)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
    if received:
        raise Interrupted(received[0])


def state_of(run: Run) -> str:
    return run.state.life_cycle_state.value if run.state and run.state.life_cycle_state else "PENDING"


def result_of(run: Run) -> str:
    """The result state of a finished run; its life-cycle state when it has none (SKIPPED, INTERNAL_ERROR)."""
    return run.state.result_state.value if run.state and run.state.result_state else state_of(run)


def _elapsed(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def wait(client: WorkspaceClient, run_id: int, timeout_seconds: float, out: CIWriter) -> Run:
    """The finished run; BundleopsError (exit 3) after cancelling it on timeout or interruption."""
    started = time.monotonic()
    last_state, last_print, attempt = "", 0.0, 1
    try:
        with _signals_interrupt() as stop:
            while True:
                run = client.jobs.get_run(run_id)
                state, elapsed = state_of(run), time.monotonic() - started
                if state != last_state or elapsed - last_print >= PROGRESS_EVERY_SECONDS:
                    out.info(f"test run {run_id}: {state} after {_elapsed(elapsed)}  {run.run_page_url or ''}".rstrip())
                    last_state, last_print = state, elapsed
                if state in TERMINAL:
                    return run
                if elapsed > timeout_seconds:
                    cancel(client, run_id, out, f"it ran longer than the timeout of {_elapsed(timeout_seconds)}")
                    raise BundleopsError(
                        f"the test run {run_id} timed out after {_elapsed(elapsed)} and was cancelled",
                        fix="raise test.timeout_minutes in bundleops.yml, or make the integration tests faster",
                        code=ExitCode.EXTERNAL_FAILURE,
                    )
                if stop.wait(min(float(attempt), MAX_POLL_SECONDS)):
                    break
                attempt += 1
    except Interrupted as interruption:
        cancel(client, run_id, out, f"this CI job received {interruption.signal_name}")
        raise BundleopsError(f"cancelled by {interruption.signal_name}; the test run {run_id} was cancelled too", code=ExitCode.EXTERNAL_FAILURE) from None
    raise AssertionError("unreachable")  # the loop returns, raises, or breaks into Interrupted


def cancel(client: WorkspaceClient, run_id: int, out: CIWriter, reason: str) -> None:
    """Cancel the run and wait (bounded) until the workspace says it ended."""
    out.warning(f"cancelling test run {run_id}: {reason}")
    client.jobs.cancel_run(run_id)
    deadline = time.monotonic() + CANCEL_WAIT_SECONDS
    while time.monotonic() < deadline:
        run = client.jobs.get_run(run_id)
        if state_of(run) in TERMINAL:
            out.info(f"test run {run_id} ended: {result_of(run)}")
            return
        time.sleep(1.0)
    out.error(f"test run {run_id} did not end within {int(CANCEL_WAIT_SECONDS)} s of its cancellation; check it in the workspace")
