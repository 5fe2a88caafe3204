"""A step's answer to a CI cancel (SIGTERM, SIGINT, repeated), for the whole step (`bundleops test`;
`Guard()` alone gives other steps' workspace calls the same bounded, interruptible waits).

Before run-now is sent there is nothing to clean up, so a signal ends the step at once. From
then on (`armed`), a signal only sets `stop`: every wait of the step watches it (workspace calls
run in worker threads, calls.py), so within a fraction of a second the step turns to cancelling
its run, whatever HTTP call is stalled. The cancel then has until `deadline`: CI systems kill
what is still running a few seconds after their first signal (docs/reliability.md lists them),
so the first signal leaves SIGNAL_BUDGET_SECONDS and any later one at most LAST_SIGNAL_SECONDS.
A second signal never stops the cancel itself: that is the moment it matters most.
"""

from __future__ import annotations

import atexit
import signal
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

from bundleops.errors import BundleopsError, ExitCode

# Jenkins kills 5 s after its SIGTERM; GitHub Actions and Azure Pipelines send SIGINT, then SIGTERM
# 7.5 s later, then kill 2.5 s after that (docs/reliability.md has the table and the sources).
SIGNAL_BUDGET_SECONDS = 4.5
LAST_SIGNAL_SECONDS = 2.0
HANDLED = (signal.SIGTERM, signal.SIGINT)


class Interrupted(BundleopsError):
    """The CI job was cancelled: the step stops (exit 3) after cancelling what it started."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(f"cancelled by {signal_name}", code=ExitCode.EXTERNAL_FAILURE)
        self.signal_name = signal_name


class Guard:
    """The signals received, the `stop` event, and the deadline of the clean-up once it began."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.received: list[str] = []
        self.armed = False  # run-now was sent: signals stop waits instead of ending the step
        self.cleaning = False  # the step is cancelling its run: calls are bounded by `deadline`
        self.deadline: float | None = None

    def handle(self, signum: int, frame: object) -> None:
        self.received.append(signal.Signals(signum).name)
        budget = SIGNAL_BUDGET_SECONDS if len(self.received) == 1 else LAST_SIGNAL_SECONDS
        self.deadline = min(self.deadline or float("inf"), time.monotonic() + budget)
        self.stop.set()
        if not self.armed:
            raise Interrupted(self.received[0])

    def interruption(self) -> Interrupted:
        return Interrupted(self.received[0] if self.received else "a signal")

    def clean_up_within(self, seconds: float) -> None:
        """Start the clean-up clock (a signal already received keeps its shorter one)."""
        self.cleaning = True
        self.deadline = min(self.deadline or float("inf"), time.monotonic() + seconds)

    def remaining(self) -> float:
        return float("inf") if self.deadline is None else max(0.0, self.deadline - time.monotonic())


@contextmanager
def handling(handler: Callable[[int, object], None]) -> Iterator[None]:
    """SIGTERM and SIGINT go to `handler` while the block runs, to the earlier handlers after it
    (main thread only: elsewhere Python cannot install handlers, and the block runs without)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in HANDLED}
    try:
        yield
    finally:
        for sig, earlier in previous.items():
            signal.signal(sig, earlier)


@contextmanager
def guarded() -> Iterator[Guard]:
    """SIGTERM and SIGINT handled by a Guard while the step runs, and ignored after it (main thread only; elsewhere unguarded)."""
    guard = Guard()
    if threading.current_thread() is not threading.main_thread():
        yield guard
        return
    for sig in HANDLED:
        signal.signal(sig, guard.handle)
    try:
        yield guard
    finally:
        for sig in HANDLED:
            signal.signal(sig, _after_the_step)
        atexit.register(_ignore_at_exit)


def _after_the_step(signum: int, frame: object) -> None:
    """A signal once the step's work is over changes nothing, and the earlier handlers are not
    restored: the outcome is decided and nothing the step started still runs, so a CI's cancel
    during the last moments (the error report, the flush, the interpreter's exit) must not turn
    that outcome into a kill by signal. It stays silent: printing here could re-enter a write."""


def _ignore_at_exit() -> None:
    """From the interpreter's exit on, ignore the signals `_after_the_step` handled: Python resets
    every handler written in Python to the default (die) while it finalizes, so a SIGTERM in that
    last fraction of a second still killed the step with -15 (seed 2026 run 9 again, on a busy
    machine). An ignored signal is left ignored. Not done when the step ends: a process that goes
    on would pass the ignored signal to every program it starts."""
    for sig in HANDLED:
        if signal.getsignal(sig) is _after_the_step:
            signal.signal(sig, signal.SIG_IGN)
