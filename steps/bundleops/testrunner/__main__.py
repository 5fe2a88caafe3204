"""`python -m bundleops.testrunner` and the wheel entry point `testrunner` (see cli.py for arguments)."""

from __future__ import annotations

import sys
from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from bundleops.cli import run_guarded
    from bundleops.testrunner import cli, runner

    return run_guarded(lambda: runner.run(cli.options(argv)))


def entry_point() -> None:
    """The console/wheel entry point: exits with the runner's code (a job task fails on non-zero)."""
    sys.exit(main())


if __name__ == "__main__":
    entry_point()
