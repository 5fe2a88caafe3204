"""Failures a user meets on day one are named errors with the documented exit code, never a traceback.

Each test runs the installed `bundleops` console script (or the `databricks` stand-in's shim) as a
user would, and checks the exit code, the cause and the fix in the message.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from tests.support.console import run_bundleops


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return (result.stdout or "") + result.stderr


def test_a_taken_port_names_the_port_and_the_fix(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_bundleops(["local-workspace", "--port", str(port), "--state-dir", str(tmp_path / "state")], timeout=60)
    out = _output(result)
    assert result.returncode == 2, out
    assert f"the local workspace cannot listen on 127.0.0.1:{port}: Address already in use" in out
    assert "fix: pass --port 0 to let it pick a free port" in out
    assert "Traceback" not in out


def _closed_pipe() -> int:
    """The write end of a pipe whose reader has already gone, as after `| head` exits."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    return write_end


@pytest.mark.parametrize("args", [["plan", "--format", "json"], ["context", "--format", "json"], ["--help"]])
def test_output_into_a_closed_pipe_stops_quietly_with_141(tmp_path: Path, args: list[str]) -> None:
    write_end = _closed_pipe()
    try:
        result = run_bundleops(args, cwd=tmp_path, stdout=write_end)
    finally:
        os.close(write_end)
    assert result.returncode == 141, result.stderr
    assert result.stderr == ""


def test_the_stand_in_into_a_closed_pipe_stops_quietly_with_141(tmp_path: Path, local_workspace) -> None:  # noqa: ANN001 - LocalWorkspace
    from bundleops.localcli.shim import write_shim
    from tests.localcli.bundles import write_bundle
    from tests.support.console import clean_environment

    project = write_bundle(tmp_path / "p", {"databricks.yml": "bundle:\n  name: piped\n"})
    write_end = _closed_pipe()
    try:
        result = subprocess.run([str(write_shim(tmp_path / "bin")), "bundle", "validate", "-o", "json"], cwd=project, stdout=write_end,
                                stderr=subprocess.PIPE, text=True, env=clean_environment(local_workspace.env()), timeout=120, check=False)
    finally:
        os.close(write_end)
    assert result.returncode == 141, result.stderr
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


@pytest.mark.parametrize("step", [["validate", "--target", "staging"], ["deploy", "--target", "staging"], ["test", "--target", "staging"]])
def test_a_folder_without_databricks_yml_names_the_folder_and_project_root(tmp_path: Path, step: list[str]) -> None:
    folder = tmp_path / "not-a-bundle"
    folder.mkdir()
    result = run_bundleops(step, cwd=folder)
    out = _output(result)
    assert result.returncode == 2, out
    assert f"no databricks.yml in {folder.resolve()}" in out
    assert "pass --project-root DIR" in out
    assert "Traceback" not in out


def test_project_root_pointing_at_a_folder_without_databricks_yml_is_named(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    result = run_bundleops(["validate", "--target", "dev", "--project-root", "elsewhere"], cwd=tmp_path)
    assert result.returncode == 2, _output(result)
    assert f"no databricks.yml in {(tmp_path / 'elsewhere').resolve()}" in _output(result)
