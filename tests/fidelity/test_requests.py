"""The stand-in's requests for a jobs bundle's deploy, redeploy and destroy are the real CLI's.

The expected log (`requests/jobs_lifecycle.yml`) is written from the real CLI's recorded request
logs; the stand-in runs as CI runs it (a subprocess over real HTTP) and the local workspace
records what arrives. Differences print as a diff of one line per call.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from tests.fidelity import request_log
from tests.localcli.cli import databricks

OPERATIONS = {
    "deploy": ["bundle", "deploy"],
    "redeploy": ["bundle", "deploy"],
    "destroy": ["bundle", "destroy", "--auto-approve"],
}


def _job_ids(client, name: str) -> list[str]:  # noqa: ANN001 - WorkspaceClient
    return [str(job.job_id) for job in client.jobs.list(name=name)]


def test_deploy_redeploy_destroy_send_the_real_clis_calls(fresh_local_workspace, tmp_path: Path) -> None:  # noqa: ANN001
    from databricks.sdk import WorkspaceClient

    expected = request_log.load()
    fields = request_log.body_fields(expected)
    project = tmp_path / "project"
    for name, text in expected["files"].items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    env = fresh_local_workspace.env()
    client = WorkspaceClient(host=env["DATABRICKS_HOST"], client_id=env["DATABRICKS_CLIENT_ID"],
                             client_secret=env["DATABRICKS_CLIENT_SECRET"], auth_type="oauth-m2m")
    user = client.current_user.me().user_name or ""
    job_id = None
    for operation, args in OPERATIONS.items():
        fresh_local_workspace.dispatcher.record()
        result = databricks(args, project, env)
        log = fresh_local_workspace.dispatcher.stop_recording()  # the checks below send their own calls
        assert result.returncode == 0, result.stderr
        job_id = job_id or next(iter(_job_ids(client, "foo")), None)
        actual = request_log.actual_lines(log, fields, user, job_id)
        wanted = request_log.expected_lines(expected["operations"][operation])
        assert actual == wanted, f"{operation}:\n" + "\n".join(difflib.unified_diff(wanted, actual, "real CLI", "stand-in", lineterm="", n=1))
        assert _job_ids(client, "foo") == ([] if operation == "destroy" else [job_id])
