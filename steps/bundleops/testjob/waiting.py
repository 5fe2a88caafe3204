"""Wait for the test run in our own loop, with progress lines and a timeout.

The SDK's waiter is not used: it polls 1, 2, ... 10 s apart (a finished run is noticed about 5 s
late), returns normally for some failed runs and raises for others, gives up after 20 minutes
without cancelling, and cannot be interrupted cleanly. Here a `RunWaiter` polls on the run's own
schedule (densely around the end its job's previous runs predict, poll_schedule.py), every poll
is a `Calls.call` (retried, interruptible), and the timeout raises: `owned.never_left_running`
then cancels the run, as it does for a CI cancel or a poll that keeps failing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bundleops.errors import BundleopsError, ExitCode
from bundleops.output import CIWriter
from bundleops.workspace_calls import Calls
from bundleops.testjob.owned import OwnedRun
from bundleops.testjob.run_state import result_of, state_of
from bundleops.testjob.run_waiter import RunWaiter

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.jobs import Run

PROGRESS_EVERY_SECONDS = 30.0

__all__ = ["result_of", "state_of", "wait"]


def _elapsed(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def wait(client: WorkspaceClient, calls: Calls, owned: OwnedRun, timeout_seconds: float, out: CIWriter) -> Run:
    """The finished run (and `owned.terminal` set); BundleopsError (exit 3) when it outlasts the timeout."""
    if owned.run_id is None:
        raise ValueError("wait() follows run-now's answer: the run has no id yet")
    waiter = RunWaiter(client, calls)
    watch = waiter.register(owned.job_id, owned.run_id)
    deadline = watch.registered + timeout_seconds
    last_state, last_print = "", 0.0
    while True:
        waiter.poll(until=deadline)
        elapsed = waiter.clock() - watch.registered
        run = watch.run
        if run is not None:
            owned.url = run.run_page_url or owned.url
            state = state_of(run)
            if state != last_state or elapsed - last_print >= PROGRESS_EVERY_SECONDS:
                out.info(f"test run {owned.run_id}: {state} after {_elapsed(elapsed)}  {run.run_page_url or ''}".rstrip())
                last_state, last_print = state, elapsed
            if watch.finished:
                owned.terminal = True
                return run  # type: ignore[return-value] - a waiter's only run is read with runs/get: a `Run`
        if elapsed >= timeout_seconds:
            raise BundleopsError(
                f"the test run {owned.run_id} timed out after {_elapsed(elapsed)}",
                fix="raise test.timeout_minutes in bundleops.yml, or make the integration tests faster",
                code=ExitCode.EXTERNAL_FAILURE,
            )
