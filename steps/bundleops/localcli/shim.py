"""An executable `databricks` that runs this stand-in with the current Python interpreter.

Tests and `bundleops demo` put its folder first on PATH so `bundleops validate|deploy|test` find
a `databricks` CLI exactly as they would on a CI runner.

A long-lived process (a test session, the demo) gets shims served by one fork server of its own
(bundleops.localcli.forkserver), started with the first shim: each call then starts in
milliseconds, as the real Go CLI does, instead of importing databricks-sdk again. The server
ends with that process; a shim whose server is gone runs the stand-in directly.
"""

from __future__ import annotations

import atexit
import os
import shlex
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from bundleops.localcli.forkclient import SOCKET_VARIABLE

_server_socket: Path | None = None


def write_shim(directory: Path, *, served: bool = True) -> Path:
    """Write `<directory>/databricks` (a POSIX shell script) and return its path; `served=False`
    for a shim that outlives this process (`bundleops local-env`), which starts no server."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "databricks"
    python = shlex.quote(sys.executable)
    if served:
        socket_path = shlex.quote(str(_fork_server()))
        script = f'#!/bin/sh\n{SOCKET_VARIABLE}={socket_path} exec {python} -m bundleops.localcli.forkclient "$@"\n'
    else:
        script = f'#!/bin/sh\nexec {python} -m bundleops.localcli "$@"\n'
    path.write_text(script, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def _fork_server() -> Path:
    """This process's fork server, started on first use (a shim called before it listens runs directly)."""
    global _server_socket
    if _server_socket is None:
        folder = Path(tempfile.mkdtemp(prefix="bundleops-cli-"))  # short: a socket path has at most 107 bytes
        _server_socket = folder / "cli.sock"
        server = subprocess.Popen([sys.executable, "-m", "bundleops.localcli.forkserver", str(_server_socket), str(os.getpid())],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        atexit.register(_stop, server, folder)
    return _server_socket


def _stop(server: subprocess.Popen[bytes], folder: Path) -> None:
    server.terminate()
    server.wait()
    (folder / "cli.sock").unlink(missing_ok=True)
    folder.rmdir()
