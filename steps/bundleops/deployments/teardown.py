"""`databricks bundle destroy --auto-approve` of one pull-request deployment, shared by `bundleops destroy` and the sweep.

Before anything is deleted, the configuration resolved with the deployment's variables must put
it in its own folder (`<shared root>-pull-requests/<id>`): a staging target whose root_path
ignores the variable would resolve to the shared deployment, and destroying that from a pull
request is exactly what must never happen.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bundleops.bundle_cli import DatabricksCli
from bundleops.deployments import naming
from bundleops.deployments.naming import Deployment
from bundleops.errors import BundleopsError, ExitCode
from bundleops.output import CIWriter

# What the real CLI says (and exits 0) when the deployment's root folder does not exist (bundle/phases/destroy.go).
ABSENT = "No active deployment found to destroy!"


def resolved_root(cli: DatabricksCli, project_root: Path, bundle_target: str, deployment: Deployment) -> str:
    """The deployment's folder as the CLI resolves it with the deployment's variables; exit 2 when it is not its own."""
    return naming.check_resolved_root(replace(cli, variables=deployment.cli_variables()).summary(project_root, bundle_target), deployment)


def destroy(cli: DatabricksCli, project_root: Path, bundle_target: str, deployment: Deployment, time_limit: float, out: CIWriter,
            root: str | None = None) -> bool:
    """Destroy the deployment; True when something was destroyed, False when there was none (already destroyed).

    `root`: the folder when the caller already checked how the bundle resolves pull-request
    deployments (the sweep checks once, not once per deployment).
    """
    root = root or resolved_root(cli, project_root, bundle_target, deployment)
    cli = replace(cli, variables=deployment.cli_variables())
    out.info(f"destroying pull-request deployment {deployment.id}: {root}")
    result = cli.bundle(["destroy", "-t", bundle_target, "--auto-approve"], project_root, time_limit=time_limit)
    stopped = result.stop_error("raise deploy.timeout_minutes in bundleops.yml if destroying needs longer; run `bundleops destroy` again to finish")
    if stopped:
        raise stopped
    if result.returncode != 0:
        raise BundleopsError(
            f"`databricks bundle destroy -t {bundle_target}` of the pull-request deployment {deployment.id} failed (its diagnostics are above)",
            fix="if a deploy of this pull request is still running, wait for it (its lock is held) and run `bundleops destroy` again; "
            "otherwise fix what the CLI reported",
            code=ExitCode.EXTERNAL_FAILURE,
        )
    if ABSENT in result.stderr:
        out.info(f"nothing to destroy: the pull-request deployment {deployment.id} does not exist ({root}); already destroyed")
        return False
    out.info(f"destroyed the pull-request deployment {deployment.id}: its resources, files and state at {root}")
    return True
