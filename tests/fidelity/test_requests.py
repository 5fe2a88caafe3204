"""The stand-in's requests for a jobs bundle's deploy, redeploy and destroy are the real CLI's.

Each expected log (`requests/*.yml`) is written from the real CLI's recorded request logs; the
stand-in runs as CI runs it (a subprocess over real HTTP, as the local workspace's user, as the
recorded tests run) and the local workspace records what arrives. Differences print as a diff of
one line per call.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from tests.fidelity import request_log
from tests.localcli.cli import databricks

pytestmark = pytest.mark.integration

COMMANDS = {
    "deploy": ["bundle", "deploy"],
    "redeploy": ["bundle", "deploy"],
    "destroy": ["bundle", "destroy", "--auto-approve"],
}


def _job_ids(client, name: str) -> list[str]:  # noqa: ANN001 - WorkspaceClient
    return [str(job.job_id) for job in client.jobs.list(name=name)]


@pytest.mark.parametrize("expected_file", request_log.EXPECTED, ids=[path.stem for path in request_log.EXPECTED])
def test_the_stand_in_sends_the_real_clis_calls(expected_file: Path, fresh_local_workspace, tmp_path: Path) -> None:  # noqa: ANN001
    from databricks.sdk import WorkspaceClient

    from bundleops.localworkspace import DEV_USER

    expected = request_log.load(expected_file)
    project = tmp_path / "project"
    for name, text in expected["files"].items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    env = {"DATABRICKS_HOST": fresh_local_workspace.host, "DATABRICKS_TOKEN": fresh_local_workspace.user_token}
    client = WorkspaceClient(host=env["DATABRICKS_HOST"], token=env["DATABRICKS_TOKEN"], auth_type="pat")
    job_id = None
    for operation, calls in expected["operations"].items():
        fresh_local_workspace.dispatcher.record()
        result = databricks(COMMANDS[operation], project, env)
        log = fresh_local_workspace.dispatcher.stop_recording()  # the checks below send their own calls
        assert result.returncode == 0, result.stderr
        job_id = job_id or next(iter(_job_ids(client, expected["job"])), None)
        actual = request_log.actual_lines(log, expected, DEV_USER, job_id)
        wanted = request_log.expected_lines(calls)
        assert actual == wanted, f"{operation}:\n" + "\n".join(difflib.unified_diff(wanted, actual, "real CLI", "stand-in", lineterm="", n=1))
        assert _job_ids(client, expected["job"]) == ([] if operation == "destroy" else [job_id])
