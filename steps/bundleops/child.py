"""Run a tool (pytest, pysonar) as a child process with its output passed through redaction.

Each line is printed through the CI writer's `info`, so a line the tool prints that the CI would
read as a workflow command (a test's failure message quoting a crafted branch name) is shown,
not run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any, Mapping, Sequence

from bundleops.output import current, redact

# After SIGTERM at the time limit, how long the child's process group gets to exit before SIGKILL.
STOP_GRACE_SECONDS = 5.0


def run_redacted(args: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float | None = None) -> int:
    """Stream the child's stdout and stderr, line by line and redacted, to our stdout; its exit code.

    With a timeout the child runs in its own process group, and at the limit the whole group
    (the tool and whatever it started, e.g. a scanner's JVM) is stopped: SIGTERM, then SIGKILL
    after STOP_GRACE_SECONDS. Then subprocess.TimeoutExpired is raised for the caller to name.
    """
    with subprocess.Popen(
        list(args), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
        start_new_session=timeout is not None,
    ) as child:
        assert child.stdout is not None
        copier = threading.Thread(target=_copy_redacted, args=(child.stdout,), daemon=True)
        copier.start()
        try:
            code = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_group(child)
            copier.join(STOP_GRACE_SECONDS)
            raise
        copier.join()
        return code


def _copy_redacted(stream: IO[str]) -> None:
    out = current()
    for line in stream:
        out.info(redact(line.rstrip("\n")))
    sys.stdout.flush()


def stop_group(child: subprocess.Popen[Any]) -> None:
    """SIGTERM to the child's process group, SIGKILL to whatever is left after the grace period:
    what a CI runner does to a cancelled job's processes."""
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(child.pid, signal.SIGKILL)  # stragglers the tool started, even when the tool itself exited
    except ProcessLookupError:
        pass
    child.wait()
