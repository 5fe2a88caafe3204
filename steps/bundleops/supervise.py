"""A child process bounded by a time limit and stopped together with bundleops.

A cancelled CI job sends the step SIGTERM (GitLab, Azure, Jenkins, Bitbucket) or SIGINT then
SIGTERM (GitHub), and SIGKILL a few seconds later. Python's default for SIGTERM ends bundleops at
once and leaves its child running: a `databricks bundle deploy` would go on deploying with nobody
watching. Here SIGTERM and SIGINT are forwarded to the child as SIGTERM, the child gets
STOP_GRACE_SECONDS to exit and is killed after that, and the caller learns what ended it, so it can
clean up after it (the deploy lock) and exit with a named error. A time limit ends it the same way:
no child, however stuck (a YAML alias bomb, a hung connection), outlives its step.

SIGKILL cannot be caught: a killed bundleops leaves its child to the CI runner, which kills the
job's process group with it.
"""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass
from typing import Callable, ContextManager

from bundleops.cancel_signals import handling

STOP_GRACE_SECONDS = 5.0
_POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Ending:
    """How a supervised child ended: its exit code, and whether a time limit or a signal ended it."""

    returncode: int
    timed_out: bool = False
    signal_name: str | None = None


def _forwarding(children: list[subprocess.Popen[str]], received: list[int]) -> ContextManager[None]:
    """While the block runs, SIGTERM and SIGINT to us are recorded and stop the child, if there is one
    yet (main thread only; elsewhere a no-op). Installed before the child starts, so no signal falls
    into the moment between its start and the handler, where it would end us and orphan the child."""

    def forward(signum: int, frame: object) -> None:
        received.append(signum)
        if children and children[0].poll() is None:
            children[0].terminate()

    return handling(forward)


def stop(process: subprocess.Popen[str]) -> int:
    """SIGTERM, then SIGKILL after STOP_GRACE_SECONDS; the child's exit code."""
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def supervise(start: Callable[[], subprocess.Popen[str]], time_limit: float) -> Ending:
    """Start the child (`start`, which may also start readers of its pipes) and wait until it exits,
    the time limit passes, or bundleops is told to stop."""
    received: list[int] = []
    children: list[subprocess.Popen[str]] = []
    deadline = time.monotonic() + time_limit
    timed_out = False
    with _forwarding(children, received):
        process = start()
        children.append(process)
        while True:
            try:
                return_code = process.wait(timeout=_POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                timed_out = time.monotonic() >= deadline
                if received or timed_out:
                    return_code = stop(process)
                    break
    if received:
        return Ending(return_code, signal_name=signal.Signals(received[0]).name)
    return Ending(return_code, timed_out=timed_out)
