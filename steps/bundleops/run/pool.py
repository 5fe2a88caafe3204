"""Many bundles' jobs at once, at most N at a time, each step a `bundleops` process of its own.

One bundle's output streams live, as a template's step would show it. Several bundles' outputs
would interleave line by line, so each bundle's steps write to a buffer that is printed as one
block, in the CI's log group, when the bundle is done (as `parallel --group` does). A cancelled
job (SIGTERM or SIGINT to bundleops) stops every running step the way the CI would have: SIGTERM
to the step's process group, so each step cleans up after itself (a deploy releases its lock, a
test cancels its run) and what it started ends with it, SIGKILL to what is left after the grace
period, and no further step starts.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, ContextManager, Mapping, Sequence, TypeVar

from bundleops.cancel_signals import handling
from bundleops.child import stop_group

Item = TypeVar("Item")
Result = TypeVar("Result")


class StepProcesses:
    """The running `bundleops` step processes of this job, stopped together on a cancel."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[bytes]] = set()
        self.cancelled_by: str | None = None

    def run(self, args: Sequence[str], env: Mapping[str, str], output: int | None) -> int:
        """`bundleops <args>` to completion; a step not started after a cancel counts as cancelled (130)."""
        with self._lock:
            if self.cancelled_by:
                return 130
            # Its own process group, so a cancel reaches the step and what it started (pytest, the CLI).
            process = subprocess.Popen(
                [sys.executable, "-m", "bundleops", *args], env=dict(env), stdout=output, stderr=subprocess.STDOUT if output else None,
                start_new_session=True,
            )
            self._running.add(process)
        try:
            return process.wait()
        finally:
            with self._lock:
                self._running.discard(process)

    def cancel(self, signal_name: str) -> None:
        with self._lock:
            self.cancelled_by = self.cancelled_by or signal_name
            running = list(self._running)
        with ThreadPoolExecutor(max_workers=max(1, len(running))) as stopping:  # one grace period for all
            list(stopping.map(stop_group, running))

    def stopped_on_cancel(self) -> ContextManager[None]:
        """While the block runs, SIGTERM and SIGINT cancel every running step (main thread only)."""

        def on_signal(signum: int, frame: object) -> None:
            threading.Thread(target=self.cancel, args=(signal.Signals(signum).name,), daemon=True).start()

        return handling(on_signal)


def run_all(items: list[Item], work: Callable[[Item, int | None], Result], show: Callable[[Item, Result, bytes], None], parallel: int) -> list[Result]:
    """`work(item, output)` for every item, `parallel` at a time, results in the items' order.

    With one item its steps write to our stdout (`output` None) and `show` gets no text. With more,
    each item's steps write to a temporary file whose text `show` prints, one item at a time."""
    if len(items) == 1:
        result = work(items[0], None)
        show(items[0], result, b"")
        return [result]
    printing = threading.Lock()

    def grouped(item: Item) -> Result:
        with tempfile.TemporaryFile() as buffer:
            result = work(item, buffer.fileno())
            buffer.seek(0)
            text = buffer.read()
        with printing:
            show(item, result, text)
        return result

    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(items)))) as executor:
        return list(executor.map(grouped, items))


def write_block(text: bytes) -> None:
    """Steps' captured output as they wrote it: each step made its lines inert for the CI and
    redacted them; our stdout redacts once more what this process knows to be secret."""
    sys.stdout.write(text.decode("utf-8", errors="replace"))
    sys.stdout.flush()
