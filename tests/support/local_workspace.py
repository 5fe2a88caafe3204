"""`bundleops local-workspace` started as a user starts it, and what a test does with it through the SDK."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


def start(bundleops: Sequence[str], folder: Path, env: Mapping[str, str] | None = None, arguments: Sequence[str] = ()) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """`<bundleops> local-workspace --info-file lw.json [arguments]` in `folder` (its default state folder is
    relative to it), in the background; the process and the host and credentials it wrote."""
    process = subprocess.Popen([*bundleops, "local-workspace", "--info-file", "lw.json", *arguments],
                               cwd=folder, env=None if env is None else dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    info_file = folder / "lw.json"
    deadline = time.monotonic() + 60
    while not info_file.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    assert info_file.exists(), process.communicate(timeout=10)
    time.sleep(0.1)  # the file is written in one call; give the writer time to close it
    return process, json.loads(info_file.read_text())


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Ctrl-C, as a user stops it; its stdout and stderr."""
    process.send_signal(signal.SIGINT)
    return process.communicate(timeout=60)


def client(info: Mapping[str, str]) -> WorkspaceClient:
    """databricks-sdk as the local workspace's CI service principal."""
    from databricks.sdk import WorkspaceClient

    return WorkspaceClient(host=info["host"], client_id=info["client_id"], client_secret=info["client_secret"], auth_type="oauth-m2m")


def upload(client: WorkspaceClient, path: str, source: str) -> None:
    from databricks.sdk.service.workspace import ImportFormat

    client.workspace.mkdirs(path.rsplit("/", 1)[0])
    client.workspace.upload(path, source.encode(), format=ImportFormat.AUTO, overwrite=True)


def create_job(client: WorkspaceClient, tasks: list[dict[str, Any]], name: str = "runs-test", **settings: Any) -> int:
    """A job from its JSON settings (as `jobs/create` takes them); its id."""
    return int(client.api_client.do("POST", "/api/2.2/jobs/create", body={"name": name, "tasks": tasks, **settings})["job_id"])
