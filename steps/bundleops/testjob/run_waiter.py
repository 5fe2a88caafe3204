"""One poll loop for every run a process waits on.

Each registered run keeps its own schedule (poll_schedule.py, from its job's completed runs,
read once per job with `runs/list?completed_only`). A round happens when the earliest of them is
due and asks once per job: `runs/get` when the job has one watched run; `runs/list?active_only`
(paged, 25 runs a page) when it has several, then, when watched runs left the active list, one
page of `runs/list?completed_only&expand_tasks` to read how they ended (a `runs/get` for one not
on it). So 100 waiting runs of one job cost about 5 requests a round instead of 100, and every run
is polled at least as often as its own schedule asks.

Every request is a `Calls.call` (retried, interruptible) and every pause a `Calls.pause`, so a CI
cancel ends the wait at once and testjob/owned.py cancels the run. Rounds are serialised by a
lock, so several threads may register runs and drive rounds on one waiter; each sees its run's
state after the round that read it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Callable

from bundleops.cancel_signals import Interrupted
from bundleops.errors import BundleopsError
from bundleops.testjob.owned import TERMINAL
from bundleops.testjob.run_state import state_of
from bundleops.testjob.poll_schedule import HISTORY_RUNS, EndWindow, end_window, next_delay
from bundleops.workspace_calls import Calls, OutOfTime

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.jobs import BaseRun, Run

COMPLETED = ("SUCCESS", "FAILED")  # runs that ran to their end: cancelled, timed-out or skipped ones predict nothing
LIST_PAGE = 25  # the most runs/list answers a page
REVIEW_SECONDS = 1.0  # the longest pause before the waiter looks at its runs again


@dataclass
class Watch:
    """A run being waited on: its schedule, and what the last round read of it."""

    run_id: int
    job_id: int
    registered: float  # the waiter's clock when run-now answered: the run's age is measured from here
    window: EndWindow | None
    due: float
    run: Run | BaseRun | None = None  # the last state read; once finished, with its tasks
    finished: bool = False


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
        self._lock = threading.Lock()  # guards `watches`
        self._round = threading.Lock()  # one round at a time

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
        """One round: pause until the earliest unfinished run is due (at most until `until`, and at most
        REVIEW_SECONDS, so a run registered meanwhile is not overlooked), then poll every job with a
        due run. Interrupted / OutOfTime end it as they end any call."""
        with self._round:
            with self._lock:
                waiting = [watch for watch in self.watches if not watch.finished]
            due = min((watch.due for watch in waiting), default=float("inf"))
            pause = min(due, until, self.clock() + REVIEW_SECONDS) - self.clock()
            if pause > 0:
                self.calls.pause(pause)
            now = self.clock()
            for job_id in sorted({watch.job_id for watch in waiting if watch.due <= now}):
                self._poll_job([watch for watch in waiting if watch.job_id == job_id])

    def _poll_job(self, watches: list[Watch]) -> None:
        if len(watches) == 1:
            self._read(watches[0])
            return
        active = {run.run_id: run for run in self._list(watches[0].job_id, active_only=True)}
        for watch in watches:
            if watch.run_id in active:
                self._seen(watch, active[watch.run_id])
        ended = [watch for watch in watches if watch.run_id not in active]
        if ended:  # the newest completed runs, with their tasks, in one request; a run not among them is read alone
            completed = {run.run_id: run for run in self._list(watches[0].job_id, completed_only=True, expand_tasks=True, pages=1)}
            for watch in ended:
                if watch.run_id in completed:
                    self._seen(watch, completed[watch.run_id])
                else:
                    self._read(watch)

    def _read(self, watch: Watch) -> None:
        run_id = watch.run_id
        self._seen(watch, self.calls.call("GET jobs/runs/get", lambda: self.client.jobs.get_run(run_id)))

    def _seen(self, watch: Watch, run: Run | BaseRun) -> None:
        now = self.clock()
        watch.run, watch.finished = run, state_of(run) in TERMINAL
        watch.due = now + next_delay(now - watch.registered, watch.window)

    def _list(self, job_id: int, *, pages: int | None = None, **only: bool) -> list[BaseRun]:
        """The job's runs, newest first, `only` as runs/list filters them; all pages, or the first `pages`
        (the SDK's iterator would go on to read a job's whole history)."""
        def listed() -> list[BaseRun]:
            runs = self.client.jobs.list_runs(job_id=job_id, limit=LIST_PAGE, **only)
            return list(runs if pages is None else islice(runs, pages * LIST_PAGE))

        return self.calls.call("GET jobs/runs/list", listed)

    def _history(self, job_id: int) -> list[float]:
        """The durations of the job's last completed runs, newest first; none when they cannot be read
        (the schedule then assumes nothing, and a workspace that keeps failing fails the next poll)."""
        try:
            runs = self._list(job_id, completed_only=True, pages=1)
        except (Interrupted, OutOfTime):
            raise
        except BundleopsError:
            return []
        completed = [run for run in runs if run.state and run.state.result_state and run.state.result_state.value in COMPLETED]
        return [duration_seconds(run) for run in completed[:HISTORY_RUNS]]

