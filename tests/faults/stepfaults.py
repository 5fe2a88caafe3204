"""What every fault case of auth, validate and deploy checks, and how it runs the real console script.

Each case asserts the exit code, that no traceback was printed, that no deploy lock is left in
the local workspace, and that no secret reached the console or any file the step wrote.
Fixtures are imported by the test modules (`from tests.faults.stepfaults import ...`).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.steps.project import shop_project, step_env
from tests.support.console import BIN

STAGING_STATE = "/Workspace/Shared/.bundle/shop/staging/state"
LOCK = f"{STAGING_STATE}/deploy.lock"


@pytest.fixture
def workspace(fresh_local_workspace: Any) -> Any:
    """A local workspace of this test's own: locks and jobs never leak between cases."""
    return fresh_local_workspace


@pytest.fixture
def shim_dir(tmp_path: Path) -> Path:
    from bundleops.localcli.shim import write_shim

    return write_shim(tmp_path / "bin").parent


@pytest.fixture
def env(workspace: Any, shim_dir: Path) -> dict[str, str]:
    return step_env(workspace.env(), shim_dir)


@pytest.fixture
def sdk(workspace: Any) -> Iterator[Any]:
    from databricks.sdk import WorkspaceClient

    yield WorkspaceClient(host=workspace.host, client_id=workspace.client_id, client_secret=workspace.client_secret, auth_type="oauth-m2m")


def lock_exists(client: Any, path: str = LOCK) -> bool:
    from databricks.sdk.errors import NotFound

    try:
        client.workspace.get_status(path)
    except NotFound:
        return False
    return True


def output_of(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def assert_outcome(result: subprocess.CompletedProcess[str], code: int, client: Any, project: Path, secrets: tuple[str, ...] = ()) -> str:
    """The exit code, no traceback, no lock left, no secret printed or written; the output, for more asserts."""
    output = output_of(result)
    assert result.returncode == code, output
    assert "Traceback" not in output, output
    assert not lock_exists(client), f"{LOCK} was left behind\n{output}"
    for secret in secrets:
        assert secret not in output, f"a secret was printed\n{output}"
        for path in project.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), f"a secret was written to {path}"
    return output


def start(args: list[str], project: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    """The real `bundleops` console script in a session of its own, as a CI runner starts a step."""
    return subprocess.Popen([str(BIN / "bundleops"), *args, "--project-root", str(project)], cwd=project, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def children(pid: int, running: str = "") -> list[int]:
    """The direct child processes of `pid` whose command line contains `running` (Linux /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(child) for child in _proc_text(task / "children").split()]
    return [child for child in found if running in _command_line(child)]


def _proc_text(path: Path) -> str:
    """A /proc file of a process, or "" once the process is gone: reading one that ends meanwhile
    fails with ENOENT or with ESRCH (ProcessLookupError), depending on when it ends."""
    try:
        return path.read_bytes().decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def _command_line(pid: int) -> str:
    return _proc_text(Path(f"/proc/{pid}/cmdline")).replace("\0", " ")


def wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    after_name = _proc_text(Path(f"/proc/{pid}/stat")).rpartition(")")[2].split()  # the state follows the command's name
    return bool(after_name) and after_name[0] != "Z"


def signal_step(process: subprocess.Popen[str], signum: int, *, group: bool) -> None:
    """The signal to the step alone (a runner that signals its direct child) or to its whole process group."""
    if group:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)


def alias_bomb(folder: Path) -> Path:
    """The shop bundle with a billion-laughs anchor chain in complex variables: nine levels of nine
    aliases (9^10 nodes). The real CLI's YAML loader expands every alias it meets (libs/dyn/yamlloader
    loadAlias), and the stand-in walks them when it resolves references: both run until stopped."""
    lines = ["variables:", "  x0: {type: complex, default: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]}"]
    lines += [f"  x{level}: {{type: complex, default: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]}" for level in range(1, 10)]
    project = shop_project(folder, changes={"bundleops.yml": "auth:\n  retry_timeout_seconds: 1\n"})
    databricks_yml = project / "databricks.yml"
    databricks_yml.write_text(databricks_yml.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")
    return project
