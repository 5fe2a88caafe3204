"""The `databricks` shim's side of bundleops.localcli.forkserver: hand this call to the server and
end as the forked stand-in ends; without a server, run the stand-in directly.

Standard library only, and nothing of bundleops but this module: the shim starts it on every call.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from typing import BinaryIO, NoReturn

SOCKET_VARIABLE = "BUNDLEOPS_LOCALCLI_SOCKET"
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)


def main(argv: list[str]) -> NoReturn:
    environment = dict(os.environ)
    socket_path = environment.pop(SOCKET_VARIABLE, "")
    connection = _connect(socket_path)
    if connection is None:
        os.environ.pop(SOCKET_VARIABLE, None)
        os.execv(sys.executable, [sys.executable, "-m", "bundleops.localcli", *argv])
    request = json.dumps({"argv": argv, "env": environment, "cwd": os.getcwd()}).encode() + b"\n"
    socket.send_fds(connection, [request], [0, 1, 2])
    answers = connection.makefile("rb")
    worker = int(_answer(answers, b"pid"))
    for signum in FORWARDED_SIGNALS:
        signal.signal(signum, lambda received, _frame: forward(received, worker))
    _end_as(int(_answer(answers, b"status")))


def forward(signum: int, worker: int) -> None:
    """Pass a signal on to the worker. A signal to the whole process group reaches the worker too,
    which may have ended (and been reaped) before this handler runs: its status is on its way, so
    there is nothing left to pass on."""
    try:
        os.kill(worker, signum)
    except ProcessLookupError:
        pass


def _connect(socket_path: str) -> socket.socket | None:
    if not socket_path:
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(socket_path)
    except OSError:  # no server (yet, or any more): the direct way
        connection.close()
        return None
    return connection


def _answer(answers: BinaryIO, word: bytes) -> str:
    line = answers.readline()
    if not line.startswith(word + b" "):
        sys.stderr.write(f"Error: the databricks CLI stand-in's server ended the call without {word.decode()} (it was stopped)\n")
        sys.exit(1)
    return line.split()[1].decode()


def _end_as(status: int) -> NoReturn:
    """Exit with the worker's code, or die by the signal that ended it."""
    if os.WIFSIGNALED(status):
        signum = os.WTERMSIG(status)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        sys.exit(128 + signum)  # only reached for a signal whose default is not to end a process
    sys.exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main(sys.argv[1:])
