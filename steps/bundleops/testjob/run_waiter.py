"""One poll loop for every run a process waits on.

Each registered run keeps its own schedule (poll_schedule.py, from its job's completed runs,
read once per job with `runs/list?completed_only`). A round happens when the earliest of them is
due and asks once per job: `runs/get` when the job has one watched run; `runs/list?active_only`
(paged, 25 runs a page) when it has several, then `runs/get` only for the watched runs that left
the active list, to read how they ended. So 100 waiting runs of one job cost about 4 requests a
round instead of 100, and every run is polled at least as often as its own schedule asks.

Every request is a `Calls.call` (retried, interruptible) and every pause a `Calls.pause`, so a CI
cancel ends the wait at once and testjob/owned.py cancels the run. Rounds are serialised by a
lock, so several threads may wait on one waiter; each sees its run's state after the round that
read it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from bundleops.cancel_signals import Interrupted
from bundleops.errors import BundleopsError
from bundleops.testjob.owned import TERMINAL
from bundleops.testjob.poll_schedule import HISTORY_RUNS, EndWindow, end_window, next_delay
from bundleops.workspace_calls import Calls, OutOfTime

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.jobs import BaseRun, Run

COMPLETED = ("SUCCESS", "FAILED")  # runs that ran to their end: cancelled, timed-out or skipped ones predict nothing
LIST_PAGE = 25  # the most runs/list answers a page


@dataclass
class Watch:
    """A run being waited on: its schedule, and what the last round read of it."""

    run_id: int
    job_id: int
    registered: float  # the waiter's clock when run-now answered: the run's age is measured from here
    window: EndWindow | None
    due: float
    run: Run | BaseRun | None = None  # the last state read; a `Run` (with its tasks) once finished
    finished: bool = False


def state_of(run: Run | BaseRun | None) -> str:
    return run.state.life_cycle_state.value if run and run.state and run.state.life_cycle_state else "PENDING"


def duration_seconds(run: BaseRun) -> float:
    """How long a completed run took: `run_duration` for a multitask run, else its setup + execution + clean-up."""
    if run.run_duration:
        return run.run_duration / 1000
    parts = (run.setup_duration or 0) + (run.execution_duration or 0) + (run.cleanup_duration or 0)
    return parts / 1000 if parts else max(0, (run.end_time or 0) - (run.start_time or 0)) / 1000


class RunWaiter:
    def __init__(self, client: WorkspaceClient, calls: Calls, clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self.calls = calls
        self.clock = clock
        self.watches: list[Watch] = []
        self._windows: dict[int, EndWindow | None] = {}
        self._lock = threading.Lock()

    def register(self, job_id: int, run_id: int) -> Watch:
        """Wait on a run from now (call it as run-now answers); the first poll is when its schedule says."""
        if job_id not in self._windows:
            self._windows[job_id] = end_window(self._history(job_id))
        now = self.clock()
        window = self._windows[job_id]
        watch = Watch(run_id, job_id, now, window, now + next_delay(0.0, window))
        with self._lock:
            self.watches.append(watch)
        return watch

    def poll(self, until: float) -> None:
        """Pause until the earliest unfinished run is due (at most until `until`), then poll every job
        with a due run. Interrupted / OutOfTime end it as they end any call."""
        with self._lock:
            waiting = [watch for watch in self.watches if not watch.finished]
            if not waiting:
                return
            due = min(watch.due for watch in waiting)
            if due > self.clock():
                self.calls.pause(min(due, until) - self.clock())
            now = self.clock()
            jobs = sorted({watch.job_id for watch in waiting if watch.due <= now})
            for job_id in jobs:
                self._poll_job([watch for watch in waiting if watch.job_id == job_id])

    def forget(self, watch: Watch) -> None:
        """Stop waiting on a run (its caller gave up on it, or read its end)."""
        with self._lock:
            self.watches = [other for other in self.watches if other is not watch]

    def _poll_job(self, watches: list[Watch]) -> None:
        if len(watches) == 1:
            self._read(watches[0])
        else:
            active = {run.run_id: run for run in self._active_runs(watches[0].job_id)}
            for watch in watches:
                if watch.run_id in active:
                    self._seen(watch, active[watch.run_id])
                else:  # ended (or not listed yet): its own answer says which, with its tasks
                    self._read(watch)

    def _read(self, watch: Watch) -> None:
        run_id = watch.run_id
        self._seen(watch, self.calls.call("GET jobs/runs/get", lambda: self.client.jobs.get_run(run_id)))

    def _seen(self, watch: Watch, run: Run | BaseRun) -> None:
        now = self.clock()
        watch.run, watch.finished = run, state_of(run) in TERMINAL
        watch.due = now + next_delay(now - watch.registered, watch.window)

    def _active_runs(self, job_id: int) -> Iterable[BaseRun]:
        return self.calls.call("GET jobs/runs/list", lambda: list(self.client.jobs.list_runs(job_id=job_id, active_only=True, limit=LIST_PAGE)))

    def _history(self, job_id: int) -> list[float]:
        """The durations of the job's last completed runs, newest first; none when they cannot be read
        (the schedule then assumes nothing, and a workspace that keeps failing fails the next poll)."""
        try:
            runs = self.calls.call("GET jobs/runs/list", lambda: _first(self.client.jobs.list_runs(job_id=job_id, completed_only=True, limit=LIST_PAGE), LIST_PAGE))
        except (Interrupted, OutOfTime):
            raise
        except BundleopsError:
            return []
        completed = [run for run in runs if run.state and run.state.result_state and run.state.result_state.value in COMPLETED]
        return [duration_seconds(run) for run in completed[:HISTORY_RUNS]]


def _first(runs: Iterable[BaseRun], count: int) -> list[BaseRun]:
    """The first `count` runs (one page): the SDK's iterator would read the job's whole history."""
    found: list[BaseRun] = []
    for run in runs:
        found.append(run)
        if len(found) == count:
            break
    return found
