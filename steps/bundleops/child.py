"""Run a tool (pytest, pysonar) as a child process with its output passed through redaction."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Mapping, Sequence

from bundleops.output import redact


def run_redacted(args: Sequence[str], *, cwd: Path, env: Mapping[str, str]) -> int:
    """Stream the child's stdout and stderr, line by line and redacted, to our stdout; its exit code."""
    with subprocess.Popen(list(args), cwd=cwd, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace") as child:
        assert child.stdout is not None
        for line in child.stdout:
            sys.stdout.write(redact(line))
        sys.stdout.flush()
        return child.wait()
