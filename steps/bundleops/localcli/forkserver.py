"""Start the stand-in in milliseconds: a server that has imported databricks-sdk forks a copy of
itself for each `databricks` call.

The real CLI is a Go binary that starts at once. The stand-in is Python, and importing
databricks-sdk (some 2,000 dataclasses) costs it about 1.4 s of CPU on every call, which was most
of a deploy's time here (a deploy makes five calls). The server pays for the import once; each
call is then a fork of it, which behaves as a fresh `python -m bundleops.localcli` started with
the caller's arguments, environment, folder and standard streams.

One call, over a Unix socket (the shim is the client, bundleops.localcli.forkclient):
1. the client sends its stdin, stdout and stderr (SCM_RIGHTS) and one JSON line {argv, env, cwd};
2. the server forks a worker, which takes those over and answers `pid <n>`; the client forwards
   SIGTERM, SIGINT, SIGHUP and SIGQUIT to that pid, as they would reach a CLI started directly;
3. the worker runs the stand-in's main and exits with its code (or dies by a signal);
4. the server reaps it and answers `status <wait status>`: the client ends the same way.
A worker whose client goes away (killed with SIGKILL, say) kills itself at once, as a CLI child
dies with the process group a CI system kills. No server, or a dead one: the shim runs the
stand-in directly (slower, same behaviour). The server ends when its owner process ends.

The server also imports every module of the stand-in before it forks (`_preload`): a call would
otherwise import them again in each worker, compiling them from source where bytecode is not
cached (PYTHONDONTWRITEBYTECODE), some 0.1-0.2 s of CPU per call. None of them reads the
environment, the folder or the standard streams when imported, so a worker that finds them
imported behaves as one that imports them. And a worker ends without the interpreter's teardown
of every module (`_exit`), which copied most of the server's memory into it: another 0.2 s.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import pkgutil
import selectors
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any, NoReturn

import bundleops.localcli
from bundleops.localcli.forkclient import FORWARDED_SIGNALS

OWNER_CHECK_SECONDS = 1.0
MAX_REQUEST_BYTES = 4 * 1024 * 1024
# The modules of the stand-in that are no part of a call: its entry point, this server and the shim's side.
NOT_PRELOADED = frozenset({"__main__", "forkserver", "forkclient", "shim"})


def serve(socket_path: Path, owner_pid: int) -> None:
    """Accept calls until the owner process is gone; fork a worker per call."""
    _preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(socket_path))
    listener.listen(128)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake the selector
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    callers: dict[int, socket.socket] = {}
    server_pid = os.getpid()
    try:
        while _alive(owner_pid):
            for key, _ in selector.select(timeout=OWNER_CHECK_SECONDS):
                if key.fileobj is listener:
                    connection, _ = listener.accept()
                    worker = os.fork()
                    if worker == 0:
                        selector.close()
                        listener.close()
                        for descriptor in (wake_read, wake_write):
                            os.close(descriptor)
                        _run_call(connection)  # never returns
                    callers[worker] = connection
                else:
                    os.read(wake_read, 4096)
            _reap(callers)
    finally:
        if os.getpid() == server_pid:
            socket_path.unlink(missing_ok=True)


def _preload() -> None:
    """Import databricks-sdk and the stand-in's modules once, here, for every fork to share."""
    import databricks.sdk  # noqa: F401 - the point of the server: imported once, shared by every fork

    for module in pkgutil.iter_modules(bundleops.localcli.__path__):
        if module.name not in NOT_PRELOADED:
            importlib.import_module(f"bundleops.localcli.{module.name}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _reap(callers: dict[int, socket.socket]) -> None:
    """Tell each caller whose worker ended how it ended (its raw wait status)."""
    for pid in list(callers):
        ended, status = os.waitpid(pid, os.WNOHANG)
        if ended == 0:
            continue
        connection = callers.pop(pid)
        try:
            connection.sendall(f"status {status}\n".encode())
        except OSError:
            pass  # the caller is gone
        connection.close()


def _run_call(connection: socket.socket) -> NoReturn:
    """In the forked worker: become the caller's `databricks` process, run the stand-in, exit."""
    signal.set_wakeup_fd(-1)
    for signum in (signal.SIGCHLD, *FORWARDED_SIGNALS):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as a fresh interpreter has it
    request = _receive(connection)
    try:
        connection.sendall(f"pid {os.getpid()}\n".encode())
    except OSError:  # the caller was stopped before it learnt this pid: end as if with it, quietly
        os.kill(os.getpid(), signal.SIGKILL)
    threading.Thread(target=_die_with_caller, args=(connection,), daemon=True).start()
    from bundleops.localcli.cli import main

    _exit(main(request["argv"]))  # a SystemExit out of main (argparse's --help) ends the worker the usual way


def _exit(code: int) -> NoReturn:
    """End the worker as the interpreter ends with `code`, without its teardown of every module.

    That teardown touches each object the server imported (databricks-sdk's thousands of classes),
    so the kernel copies almost all of the server's memory into the worker: some 0.2 s of CPU on
    every call, more than most calls' own work. What the interpreter's exit does that anyone can
    see is done here, in its order: non-daemon threads are waited for (the stand-in starts none:
    if one runs, the usual exit does the rest), the atexit callbacks run, the standard streams are
    flushed (one that fails is left to the usual exit, which reports it as ever: the data stays in
    its buffer)."""
    if any(thread.is_alive() and not thread.daemon for thread in threading.enumerate() if thread is not threading.main_thread()):
        sys.exit(code)
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    os._exit(code)


def _receive(connection: socket.socket) -> dict[str, Any]:
    data, descriptors, _, _ = socket.recv_fds(connection, 65536, 3)
    while not data.endswith(b"\n"):
        chunk = connection.recv(65536)
        if not chunk or len(data) > MAX_REQUEST_BYTES:
            os._exit(70)  # a client that broke off mid-request; nobody is left to tell
        data += chunk
    request: dict[str, Any] = json.loads(data)
    for target, descriptor in enumerate(descriptors):
        os.dup2(descriptor, target)
        os.close(descriptor)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = ["databricks", *request["argv"]]
    # The server's streams are on descriptors 0-2, which are now the caller's: buffer them as a
    # fresh interpreter would buffer the caller's.
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    sys.stdout.reconfigure(line_buffering=os.isatty(1), write_through=unbuffered)
    sys.stderr.reconfigure(line_buffering=True, write_through=unbuffered)
    return request


def _die_with_caller(connection: socket.socket) -> None:
    """The caller never writes after its request: end of stream means it is gone. So does a reset:
    a caller that dies with the `pid` line still unread (stopped before it read it) resets the
    connection, and a worker that took that for anything else went on working, alone, for as long
    as its call lasted (an alias bomb's: until the machine stopped)."""
    try:
        while connection.recv(1024):
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    serve(Path(sys.argv[1]), int(sys.argv[2]))
