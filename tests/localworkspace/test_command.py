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
