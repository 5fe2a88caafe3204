"""Stop quietly when the reader of stdout has gone (`bundleops plan --format json | head -1`).

Python ignores SIGPIPE, so a write into a closed pipe raises BrokenPipeError wherever it
happens, and the interpreter prints another one when it flushes stdout at exit. A well-behaved
command line tool just stops: as the Python documentation's "Note on SIGPIPE" advises, stdout is
pointed at /dev/null (so no later flush fails) and the process exits with 141, the status a
shell reports for a tool ended by SIGPIPE (128 + 13), which is what `set -o pipefail` sees from
`yes | head` and from the Go `databricks` CLI. It is outside the 0-3 contract on purpose: a reader
that stopped reading is not a failed check, bad input or a failed external system.

Standard library only: both `bundleops` and the `databricks` stand-in use it.
"""

from __future__ import annotations

import os
import sys
from typing import Callable

EXIT_CLOSED_PIPE = 141


def silence_stdout() -> int:
    """Point stdout at /dev/null so that nothing written later fails; return EXIT_CLOSED_PIPE."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
    os.close(devnull)
    return EXIT_CLOSED_PIPE


def exit_code_of(main: Callable[[], int]) -> int:
    """Run `main` and flush stdout; a closed pipe on the way is EXIT_CLOSED_PIPE, never a traceback."""
    try:
        code = main()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        return silence_stdout()
