"""When to ask next whether a run has ended: densely around its expected end, sparsely before.

Why: the SDK's schedule (1, 2, ... 10 s) notices a run's end about 5 s late once the run is past a
minute, and asking every half second throughout would cost 2 requests a second per run. A job's
runs take much the same time each time, so the durations of its previous runs say when this one
will most likely end: poll sparsely until that window opens, every half second to a second inside
it (so the end is noticed within a second), and back off slowly when the run outlasts it. The
interval inside the window grows with its width, so that even a job whose runs vary a lot is
polled at about one request a second on average. A run with no history polls every second for
its first two minutes, then backs off to one poll every 5 s.

Pure functions of seconds (no clock, no I/O): tests drive them with a fake clock, and
run_waiter.py does the asking.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Sequence

HISTORY_RUNS = 10  # the job's last completed runs whose durations predict the next one's
SLACK_SHARE, MIN_SLACK_SECONDS = 0.1, 0.5  # the window reaches this far beyond the shortest and longest run
DENSE_SECONDS, WIDE_WINDOW_SECONDS = 0.5, 1.0  # the interval inside a narrow window, and inside one spanning the whole run
WIDE_SHARE = 1.25  # a window this share of its closing time wide is polled each WIDE_WINDOW_SECONDS
SPARSE_MAX_SECONDS = 10.0  # before the window: state and progress only
OVERRUN_GROWTH, OVERRUN_MAX_SECONDS = 0.05, 5.0  # past the window: +5 % of the overrun, at most 5 s
NO_HISTORY_SECONDS, NO_HISTORY_STEADY_SECONDS = 1.0, 120.0  # no history: every second for two minutes, then back off


@dataclass(frozen=True)
class EndWindow:
    """The run most likely ends between `opens` and `closes` seconds after it started."""

    opens: float
    closes: float

    @property
    def interval(self) -> float:
        """The poll interval inside the window: DENSE_SECONDS when it is narrow, up to WIDE_WINDOW_SECONDS
        when it spans the whole run, so the polls in it stay near one a second over the run."""
        share = (self.closes - self.opens) / self.closes if self.closes > 0 else 1.0
        return min(WIDE_WINDOW_SECONDS, max(DENSE_SECONDS, WIDE_SHARE * share))


def end_window(durations: Sequence[float]) -> EndWindow | None:
    """The window in which a run of a job whose last completed runs took `durations` seconds
    (newest first) most likely ends; None without history."""
    recent = [duration for duration in durations[:HISTORY_RUNS] if duration > 0]
    if not recent:
        return None
    slack = max(MIN_SLACK_SECONDS, SLACK_SHARE * statistics.median(recent))
    return EndWindow(max(0.0, min(recent) - slack), max(recent) + slack)


def next_delay(elapsed: float, window: EndWindow | None) -> float:
    """Seconds from now to the next poll of a run that started `elapsed` seconds ago."""
    if window is None:
        overrun = max(0.0, elapsed - NO_HISTORY_STEADY_SECONDS)
        return min(OVERRUN_MAX_SECONDS, NO_HISTORY_SECONDS + OVERRUN_GROWTH * overrun)
    if elapsed < window.opens:
        return min(SPARSE_MAX_SECONDS, window.opens - elapsed)
    if elapsed <= window.closes:
        return window.interval
    return min(OVERRUN_MAX_SECONDS, window.interval + OVERRUN_GROWTH * (elapsed - window.closes))
