"""`bundleops local-workspace`: in the foreground, its credentials in a private info file, Ctrl-C stops it."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support import local_workspace


def test_serves_until_interrupted_and_writes_a_private_info_file(tmp_path: Path) -> None:
    info_file = tmp_path / "lw.json"
    process = subprocess.Popen([sys.executable, "-m", "bundleops", "local-workspace", "--state-dir", str(tmp_path / "state"), "--info-file", str(info_file)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not info_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        info = json.loads(info_file.read_text())
        assert stat.S_IMODE(info_file.stat().st_mode) == 0o600
        token = requests.post(f"{info['host']}/oidc/v1/token", data={"grant_type": "client_credentials"}, auth=(info["client_id"], info["client_secret"]), timeout=10)
        me = requests.get(f"{info['host']}/api/2.0/preview/scim/v2/Me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}, timeout=10)
        assert me.json()["userName"] == info["client_id"]
    finally:
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert f"local workspace on {info['host']}" in stdout
    assert f"export DATABRICKS_CLIENT_ID={info['client_id']}" in stdout


def test_default_state_folder_runs_every_task_type(tmp_path: Path) -> None:
    # as docs/local-workspace.md shows it: the default state folder (relative,
    # `.bundleops/local-workspace`), started in the user's own working folder
    process, info = local_workspace.start([sys.executable, "-m", "bundleops"], tmp_path)
    try:
        client = local_workspace.client(info)
        local_workspace.upload(client, "/Workspace/Shared/lag/s.py", "import sys\nprint('script ran with', sys.argv[1:])\n")
        local_workspace.upload(client, "/Workspace/Shared/lag/nb.py", "# Databricks notebook source\ndbutils.notebook.exit('done')\n")
        tasks = {
            "script": {"spark_python_task": {"python_file": "/Workspace/Shared/lag/s.py", "parameters": ["a"]}},
            "notebook": {"notebook_task": {"notebook_path": "/Workspace/Shared/lag/nb"}},
            "wheel": {"python_wheel_task": {"package_name": "bundleops", "entry_point": "testrunner", "parameters": ["--help"]}},
        }
        outputs = {}
        for key, task in tasks.items():
            run = client.jobs.run_now(local_workspace.create_job(client, [{"task_key": key, **task}], name=f"lag-{key}")).result()
            assert (key, run.state.result_state.value) == (key, "SUCCESS"), run.state.state_message
            outputs[key] = client.jobs.get_run_output(run.tasks[0].run_id)
    finally:
        stdout, _ = local_workspace.stop(process)
    assert outputs["script"].logs.strip() == "script ran with ['a']"
    assert outputs["notebook"].notebook_output.result == "done"  # as on Databricks: a notebook's output is its exit value, not logs
    assert "usage:" in outputs["wheel"].logs
    assert (tmp_path / ".bundleops/local-workspace/workspace/Shared/lag/s.py").is_file()
    assert f"(state in {tmp_path / '.bundleops/local-workspace'})" in stdout


def test_local_env_without_a_running_workspace_says_how_to_start_one(tmp_path: Path) -> None:
    from tests.support.console import run_bundleops

    missing = run_bundleops(["local-env", "--state-dir", "lw"], cwd=tmp_path)
    assert missing.returncode == 2
    assert f"no local workspace has its state in {tmp_path / 'lw'} (info.json not found)" in missing.stderr
    assert "fix: start one in another shell, from this folder: bundleops local-workspace --state-dir lw" in missing.stderr
    (tmp_path / "lw").mkdir()
    (tmp_path / "lw" / "info.json").write_text(json.dumps({"host": "http://127.0.0.1:9", "client_id": "x", "client_secret": "y"}))
    stopped = run_bundleops(["local-env", "--state-dir", "lw"], cwd=tmp_path)
    assert stopped.returncode == 2
    assert f"the local workspace of {tmp_path / 'lw' / 'info.json'} at http://127.0.0.1:9 does not answer" in stopped.stderr
    assert stopped.stdout == "" and "Traceback" not in stopped.stderr


def test_latency_models_a_round_trip_and_refuses_nonsense(tmp_path: Path) -> None:
    refused = subprocess.run([sys.executable, "-m", "bundleops", "local-workspace", "--latency-seconds", "-1"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--latency-seconds takes seconds from 0 to 60 (e.g. 0.1), not '-1'" in refused.stderr
    process, info = local_workspace.start([sys.executable, "-m", "bundleops"], tmp_path, arguments=["--latency-seconds", "0.05"])
    try:
        assert local_workspace.client(info).current_user.me().user_name == info["client_id"]
    finally:
        stdout, _ = local_workspace.stop(process)
    assert ", every request delayed 0.05 s)" in stdout
