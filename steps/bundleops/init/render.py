"""`databricks bundle init` of the shipped template, run as the configured CLI (DATABRICKS_CLI_PATH
or `databricks` on PATH), exactly as a team would run it on a clone: bundleops renders nothing
itself, so the project is what the real CLI makes of the template."""

from __future__ import annotations

import subprocess
from pathlib import Path

from bundleops.errors import BundleopsError, ExitCode
from bundleops.init.inputs import Inputs, schema, write_config
from bundleops.output import redact
from bundleops.shipped import BUNDLE_TEMPLATE

TIME_LIMIT_SECONDS = 120


def render_into(inputs: Inputs, scratch: Path) -> Path:
    """The project rendered by the CLI into `scratch`; returns its folder (`scratch/out/<project_name>`)."""
    from bundleops.bundle_cli import cli_errors, locate

    cli = locate()
    config = write_config(inputs, scratch / "inputs.json")
    command = [cli.path, "bundle", "init", str(BUNDLE_TEMPLATE), "--config-file", str(config), "--output-dir", str(scratch / "out")]
    try:
        result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, errors="replace",
                                timeout=TIME_LIMIT_SECONDS, check=False, cwd=scratch)
    except subprocess.TimeoutExpired as error:
        raise BundleopsError(f"`databricks bundle init` did not finish within {TIME_LIMIT_SECONDS} s (CLI {cli.path})",
                             fix="check that the CLI runs (`databricks --version`) and try again", code=ExitCode.EXTERNAL_FAILURE) from error
    project = scratch / "out" / inputs.project_name
    if result.returncode != 0 or not project.is_dir():
        reported = "; ".join(cli_errors(result.stderr)) or redact(result.stderr.strip()[-500:]) or "no message"
        raise BundleopsError(
            f"`databricks bundle init` of the bundleops template failed (exit {result.returncode}, CLI {cli.path} {cli.version_text}): {reported}",
            fix=f"the template needs the Databricks CLI >= {schema().get('min_databricks_cli_version', 'v1.0.0')}: upgrade it, "
            "or set DATABRICKS_CLI_PATH to a newer one; otherwise correct what the CLI reported",
        )
    return project

