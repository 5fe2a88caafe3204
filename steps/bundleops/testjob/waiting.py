"""Wait for the test run in our own loop, with progress lines and a timeout.

The SDK's waiter is not used: it returns normally for some failed runs and raises for others,
gives up after 20 minutes without cancelling, and cannot be interrupted cleanly. Here every poll
is a `Calls.call` (retried, interruptible), and the timeout raises: `owned.never_left_running`
then cancels the run, as it does for a CI cancel or a poll that keeps failing.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from bundleops.errors import BundleopsError, ExitCode
from bundleops.output import CIWriter
from bundleops.workspace_calls import Calls
from bundleops.testjob.owned import TERMINAL, OwnedRun

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.jobs import Run

MAX_POLL_SECONDS = 10.0
PROGRESS_EVERY_SECONDS = 30.0


def state_of(run: Run) -> str:
    return run.state.life_cycle_state.value if run.state and run.state.life_cycle_state else "PENDING"


def result_of(run: Run) -> str:
    """The result state of a finished run; its life-cycle state when it has none (SKIPPED, INTERNAL_ERROR)."""
    return run.state.result_state.value if run.state and run.state.result_state else state_of(run)


def _elapsed(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def wait(client: WorkspaceClient, calls: Calls, owned: OwnedRun, timeout_seconds: float, out: CIWriter) -> Run:
    """The finished run (and `owned.terminal` set); BundleopsError (exit 3) when it outlasts the timeout."""
    started = time.monotonic()
    last_state, last_print, attempt = "", 0.0, 1
    run_id = owned.run_id
    while True:
        run = calls.call("GET jobs/runs/get", lambda: client.jobs.get_run(run_id))
        owned.url = run.run_page_url or owned.url
        state, elapsed = state_of(run), time.monotonic() - started
        if state != last_state or elapsed - last_print >= PROGRESS_EVERY_SECONDS:
            out.info(f"test run {run_id}: {state} after {_elapsed(elapsed)}  {run.run_page_url or ''}".rstrip())
            last_state, last_print = state, elapsed
        if state in TERMINAL:
            owned.terminal = True
            return run
        if elapsed > timeout_seconds:
            raise BundleopsError(
                f"the test run {run_id} timed out after {_elapsed(elapsed)}",
                fix="raise test.timeout_minutes in bundleops.yml, or make the integration tests faster",
                code=ExitCode.EXTERNAL_FAILURE,
            )
        calls.pause(min(float(attempt), MAX_POLL_SECONDS))
        attempt += 1
