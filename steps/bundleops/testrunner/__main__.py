"""`python -m bundleops.testrunner` and the wheel entry point `testrunner` (see cli.py for arguments)."""

from __future__ import annotations

import signal
import sys
import threading
from typing import NoReturn, Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from bundleops.guard import run_guarded

    _interrupt_on_sigterm()
    return run_guarded(lambda: _run(argv), report_error=_report_error)


def _run(argv: Sequence[str] | None) -> int:
    from bundleops.extras import require

    require("local", "the test runner (python -m bundleops.testrunner)")
    from bundleops.testrunner import cli, runner

    return runner.run(cli.options(argv))


def _report_error(message: str) -> None:
    """A job task's log is plain text: no CI annotation syntax, just the error line."""
    print(f"ERROR: {message}", file=sys.stderr, flush=True)


def _interrupt_on_sigterm() -> None:
    """A cancelled job or CI run sends SIGTERM: turn it into KeyboardInterrupt, so pytest stops
    the tests and the clean-up and the reports still run (SIGKILL is left to the sweep)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_interrupt)


def _raise_interrupt(signum: int, frame: object) -> NoReturn:
    raise KeyboardInterrupt(f"signal {signum}")


def entry_point() -> None:
    """The console/wheel entry point: exits with the runner's code (a job task fails on non-zero)."""
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
