"""The `databricks` shim runs the stand-in from PATH, as CI steps will call it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bundleops.localcli.shim import write_shim


def test_shim_prints_the_contract_version_and_fails_with_exit_1(tmp_path: Path) -> None:
    shim = write_shim(tmp_path / "bin")
    env = {**os.environ, "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}"}
    version = subprocess.run(["databricks", "--version"], capture_output=True, text=True, env=env, check=False)
    assert (version.returncode, version.stdout) == (0, "Databricks CLI v1.13.0\n")
    unknown = subprocess.run(["databricks", "bundle", "run", "job"], capture_output=True, text=True, env=env, check=False)
    assert unknown.returncode == 1
    assert unknown.stderr == "Error: command 'bundle run' is not supported by the databricks CLI stand-in (supported: init, validate, plan, deploy, summary, destroy)\n"
    bad_flag = subprocess.run(["databricks", "bundle", "deploy", "--nope"], capture_output=True, text=True, env=env, check=False, cwd=tmp_path)
    assert bad_flag.returncode == 1
    assert bad_flag.stderr.startswith("Error: unrecognized arguments: --nope")
