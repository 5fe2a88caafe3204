"""The served shim behaves as the stand-in started directly: same output and exit code, the
caller's folder and environment, signals forwarded, and a killed caller takes its call with it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bundleops.localcli.forkclient import SOCKET_VARIABLE, forward
from bundleops.localcli.shim import write_shim
from tests.faults.stepfaults import alias_bomb, alive, children, wait_for
from tests.localcli.cli import clean_env
from tests.steps.project import shop_project
from tests.support import standin


def served(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([standin.databricks(), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def direct(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bundleops.localcli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


def server_socket() -> str:
    """The socket of this test process's fork server, as the shim names it."""
    return Path(standin.databricks()).read_text(encoding="utf-8").split(f"{SOCKET_VARIABLE}=", 1)[1].split()[0]


def server_pid() -> int:
    """This test process's fork server (started with its first shim), once it listens."""
    socket_path = server_socket()
    wait_for(lambda: Path(socket_path).exists(), 60, "the fork server to listen")
    (pid,) = children(os.getpid(), "bundleops.localcli.forkserver")
    return pid


def catches(pid: int, signum: int) -> bool:
    """Whether the process has a handler for `signum` (the SigCgt mask of /proc/<pid>/status)."""
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    mask = int(re.search(r"^SigCgt:\s*([0-9a-f]+)$", status, re.MULTILINE).group(1), 16)
    return bool(mask & (1 << (signum - 1)))


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["bundle", "nonsense"], ["bundle", "validate", "--no-such-flag"]], ids=" ".join)
def test_a_served_call_answers_as_a_direct_one(args: list[str], tmp_path: Path) -> None:
    server_pid()
    env = clean_env({})
    answers = [(result.returncode, result.stdout, result.stderr) for result in (served(args, tmp_path, env), direct(args, tmp_path, env))]
    assert answers[0] == answers[1]


def test_a_served_validate_sees_the_callers_folder_and_environment(tmp_path: Path, local_workspace) -> None:  # noqa: ANN001
    server_pid()
    project = shop_project(tmp_path / "p")
    env = clean_env(local_workspace.env())
    result = served(["bundle", "validate", "-t", "staging", "-o", "json"], project, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == direct(["bundle", "validate", "-t", "staging", "-o", "json"], project, env).stdout
    assert local_workspace.client_id in result.stdout  # the identity came from the caller's DATABRICKS_* variables
    failed = served(["bundle", "validate", "-t", "staging"], project, clean_env({}))
    assert failed.returncode == 1 and "Error:" in failed.stderr  # the same call without credentials


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_the_call_ends_with_its_caller(signum: signal.Signals, tmp_path: Path, local_workspace) -> None:  # noqa: ANN001
    """SIGTERM reaches the forked stand-in (the caller then ends as it did); SIGKILL, which cannot be
    forwarded, still ends it: it notices its caller is gone."""
    server = server_pid()
    project = alias_bomb(tmp_path / "p")  # the stand-in works on it until it is stopped
    earlier = set(children(server))  # calls of earlier tests may still be ending
    caller = subprocess.Popen([standin.databricks(), "bundle", "validate", "-t", "staging"], cwd=project, env=clean_env(local_workspace.env()),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: bool(set(children(server)) - earlier) and catches(caller.pid, signal.SIGTERM), 60, "the call to be forked and its caller to forward signals")
        (worker,) = set(children(server)) - earlier
        caller.send_signal(signum)
        assert caller.wait(timeout=30) == -signum
        wait_for(lambda: not alive(worker), 30, "the forked call to end")
    finally:
        if caller.poll() is None:
            caller.kill()


def test_without_its_server_a_shim_runs_the_stand_in_directly(tmp_path: Path) -> None:
    shim = write_shim(tmp_path / "bin")
    script = re.sub(rf"{SOCKET_VARIABLE}=\S+", f"{SOCKET_VARIABLE}={tmp_path / 'gone.sock'}", shim.read_text(encoding="utf-8"))
    shim.write_text(script, encoding="utf-8")
    result = subprocess.run([str(shim), "--version"], cwd=tmp_path, env=clean_env({}), capture_output=True, text=True, timeout=120, check=False)
    assert (result.returncode, result.stdout) == (0, direct(["--version"], tmp_path, clean_env({})).stdout)


def test_a_caller_stopped_before_it_learns_the_pid_gets_no_traceback(tmp_path: Path) -> None:
    """A CI cancel can stop the shim between handing over its call and reading the worker's pid:
    the worker then finds the caller gone and ends quietly (it printed a BrokenPipeError traceback
    onto the caller's stderr, seen as a flaky test_sigterm_to_validate_stops_the_cli_at_once)."""
    server_pid()
    socket_path = server_socket()
    read_end, write_end = os.pipe()
    request = json.dumps({"argv": ["bundle", "validate"], "env": clean_env({}), "cwd": str(tmp_path)}).encode() + b"\n"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(socket_path)
        socket.send_fds(connection, [request], [write_end, write_end, write_end])
    os.close(write_end)
    with os.fdopen(read_end, "rb") as output:  # ends when the worker, the last holder of the pipe, has ended
        written = output.read()
    # Hung up before the pid: the worker ends at once, silently. Hung up just after it (a busy
    # machine can run the worker first): the worker dies with its caller, maybe after its first
    # lines, as a killed CLI does. Neither ever prints a traceback.
    assert b"Traceback" not in written and b"BrokenPipeError" not in written, written.decode(errors="replace")


def test_a_caller_that_dies_with_the_pid_unread_takes_its_call_with_it(tmp_path: Path, local_workspace) -> None:  # noqa: ANN001
    """A caller stopped after the worker answered `pid` but before reading it closes a connection
    with unread data, which resets it: the worker's watch took the reset for an error and ended,
    leaving the worker alone on an alias bomb, a whole core for the rest of a suite run."""
    server = server_pid()
    project = alias_bomb(tmp_path / "p")  # the stand-in works on it until it is stopped
    socket_path = server_socket()
    request = json.dumps({"argv": ["bundle", "validate", "-t", "staging"], "env": clean_env(local_workspace.env()), "cwd": str(project)}).encode() + b"\n"
    earlier = set(children(server))
    with open(os.devnull, "wb") as nowhere, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(socket_path)
        socket.send_fds(connection, [request], [nowhere.fileno()] * 3)
        connection.settimeout(60)
        assert connection.recv(64, socket.MSG_PEEK).startswith(b"pid "), "the worker answers its pid"  # left unread
        (worker,) = set(children(server)) - earlier
        assert alive(worker)
    wait_for(lambda: not alive(worker), 30, "the forked call to end with its caller")


def test_a_signal_for_a_worker_that_has_ended_is_not_an_error() -> None:
    """SIGTERM to the shim's whole process group: the worker can end, and be reaped, before the
    shim's handler passes the signal on (a ProcessLookupError traceback in a full run)."""
    no_such_process = int(Path("/proc/sys/kernel/pid_max").read_text())  # pids stay below pid_max
    assert not alive(no_such_process)
    forward(signal.SIGTERM, no_such_process)  # raised ProcessLookupError out of the handler


def test_a_worker_ends_as_the_interpreter_would(tmp_path: Path) -> None:
    """A worker skips the interpreter's teardown (forkserver._exit), not what anyone sees of an exit:
    the atexit callbacks run, buffered output is written, the code is the exit status."""
    script = tmp_path / "end.py"
    script.write_text("import atexit, sys\n"
                      "from bundleops.localcli.forkserver import _exit\n"
                      "atexit.register(lambda: print('atexit ran'))\n"
                      "sys.stdout.write('buffered, ')\n"
                      "_exit(3)\n", encoding="utf-8")
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=clean_env({}), capture_output=True, text=True, timeout=120, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (3, "buffered, atexit ran\n", "")
