"""A run this step started is never left running.

From the moment run-now is sent until the run is terminal, any way out of the step (a failure,
the timeout, a CI cancel) goes through `cancel`: it finds the run (by the id run-now answered, or,
when its answer never came, among the job's active runs by the report folder, which carries the
idempotency token), asks the workspace to cancel it, retrying within the clean-up deadline, waits
for it to end, and says what happened with the run's URL.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from bundleops.errors import BundleopsError
from bundleops.output import CIWriter
from bundleops.workspace_calls import Calls
from bundleops.cancel_signals import Interrupted
from bundleops.testjob.run_state import result_of
from bundleops.testjob.start import REPORT_FOLDER

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

TERMINAL = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")
# After a failure or the timeout (no CI deadline): time to have the cancel accepted and the run ended.
CANCEL_WAIT_SECONDS = 120.0
FIND_ATTEMPTS = 3
CONFIRM_POLL_SECONDS = 0.25


@dataclass
class OwnedRun:
    job_id: int
    report_folder: str  # unique per idempotency token: how the run is found when run-now's answer was lost
    host: str
    run_id: int | None = None
    url: str | None = None
    terminal: bool = False

    def describe(self) -> str:
        return f"{self.run_id} ({self.link()})" if self.run_id else f"of job {self.job_id} with report folder {self.report_folder}"

    def link(self) -> str:
        return self.url or f"{self.host.rstrip('/')}/jobs/{self.job_id}/runs/{self.run_id}"


@contextmanager
def never_left_running(client: WorkspaceClient, calls: Calls, owned: OwnedRun, out: CIWriter) -> Iterator[OwnedRun]:
    """Arm the guard for run-now; on any failure before `owned.terminal`, cancel the run and say so in the error."""
    calls.guard.armed = True
    try:
        yield owned
    except BundleopsError as failure:
        if owned.terminal:
            raise
        outcome = cancel(client, calls, owned, out, _reason(failure))
        raise BundleopsError(f"{failure.message}; {outcome}", fix=failure.fix, code=failure.code) from None
    except BaseException as failure:
        if not owned.terminal:
            cancel(client, calls, owned, out, f"bundleops failed ({type(failure).__name__})")
        raise


def _reason(failure: BundleopsError) -> str:
    return f"this CI job received {failure.signal_name}" if isinstance(failure, Interrupted) else failure.message


def cancel(client: WorkspaceClient, calls: Calls, owned: OwnedRun, out: CIWriter, reason: str) -> str:
    """Cancel the run within the clean-up deadline; the sentence that says how it ended."""
    calls.guard.clean_up_within(CANCEL_WAIT_SECONDS)
    out.warning(f"cancelling test run {owned.describe()}: {reason}")
    accepted = False
    try:
        if owned.run_id is None and not _find(client, calls, owned):
            return _mark_cancelled(client, calls, owned, reason)
        run_id = owned.run_id
        calls.call("POST jobs/runs/cancel", lambda: client.jobs.cancel_run(run_id))
        accepted = True
        while True:
            run = calls.call("GET jobs/runs/get", lambda: client.jobs.get_run(run_id))
            owned.url = run.run_page_url or owned.url
            if run.state and run.state.life_cycle_state and run.state.life_cycle_state.value in TERMINAL:
                out.info(f"test run {run_id} ended: {result_of(run)}")
                return f"the test run {owned.describe()} was cancelled"
            calls.pause(CONFIRM_POLL_SECONDS, "the wait for the cancelled run to end")
    except BundleopsError as failure:
        if accepted:
            out.warning(f"the workspace accepted the cancel of test run {owned.describe()}, but its end could not be confirmed: {failure.message}")
            return f"the test run {owned.describe()} was asked to cancel (its end could not be confirmed: check it there)"
        out.error(f"could not cancel test run {owned.describe()}: {failure.message}", title="test run may still be running")
        return f"the test run {owned.describe()} could not be cancelled and may still be running: cancel it there"


def _mark_cancelled(client: WorkspaceClient, calls: Calls, owned: OwnedRun, reason: str) -> str:
    """No run yet, but run-now may still be on its way: leave the marker that makes such a run end at once."""
    import io
    import json

    from bundleops.testrunner.cancel_marker import FILE_NAME

    marker = f"{owned.report_folder.rstrip('/')}/{FILE_NAME}"
    document = json.dumps({"cancelled_because": reason, "job_id": owned.job_id}).encode()
    try:
        calls.call("PUT files (cancel marker)", lambda: client.files.upload(marker, io.BytesIO(document), overwrite=True))
    except BundleopsError as failure:
        return (f"no run of job {owned.job_id} had started for this step (report folder {owned.report_folder}), and the cancel marker "
                f"could not be written ({failure.message}): a run that run-now starts later would run; check the job's runs")
    return (f"no run of job {owned.job_id} had started for this step (report folder {owned.report_folder}); a run that its "
            f"unanswered run-now starts later ends at once (cancel marker {marker})")


def _find(client: WorkspaceClient, calls: Calls, owned: OwnedRun) -> bool:
    """The active run of the job with our report folder (run-now sent, its answer lost); a few tries for a slow run-now."""
    for attempt in range(FIND_ATTEMPTS):
        runs = calls.call("GET jobs/runs/list", lambda: list(client.jobs.list_runs(job_id=owned.job_id, active_only=True)))
        for run in runs:
            if any(parameter.name == REPORT_FOLDER and parameter.value == owned.report_folder for parameter in run.job_parameters or []):
                owned.run_id, owned.url = run.run_id, run.run_page_url
                return True
        if attempt + 1 < FIND_ATTEMPTS:
            calls.pause(0.5, "the search for the run")
    return False
