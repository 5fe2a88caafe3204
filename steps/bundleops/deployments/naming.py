"""Which deployment a run acts on, and the `--var` values that put it in its own folder.

A pull request into the staging role gets its own deployment, `pr-<number>` by default
(bundleops.yml `pull_requests.deployment`). The bundle declares three variables and uses them
in its staging target (docs/pull-request-deployments.md):

    workspace.root_path:           ...${bundle.target}${var.bundleops_root_suffix}
    presets.name_prefix:           ${var.bundleops_name_prefix}
    presets.trigger_pause_status:  ${var.bundleops_trigger_pause_status}

Their defaults leave the shared deployment exactly as it was; for a pull request bundleops
passes `--var` on every `databricks bundle` call, so the deployment lives in
`<shared root>-pull-requests/<id>` (a sibling folder: destroying one never deletes the other),
its jobs are named `[<id>] ...` and its schedules and triggers are paused. `--var` wins over
every other source of a variable's value in the real CLI, and the real CLI resolves variables
in `workspace` and `presets` before it applies them (bundle/phases/initialize.go).

Light module: `bundleops plan` uses it, so it imports no SDK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bundleops.bundle_files import BundleFiles
from bundleops.config import ProjectConfig
from bundleops.context.model import CIContext
from bundleops.errors import BundleopsError, ExitCode

# The role whose pull-request runs get their own deployment.
PULL_REQUEST_ROLE = "staging"
ROOT_SUFFIX_VAR = "bundleops_root_suffix"
NAME_PREFIX_VAR = "bundleops_name_prefix"
PAUSE_VAR = "bundleops_trigger_pause_status"
VARIABLES = (ROOT_SUFFIX_VAR, NAME_PREFIX_VAR, PAUSE_VAR)
# The folder beside the shared root that holds every pull-request deployment of the target.
FOLDER_SUFFIX = "-pull-requests"

DECLARATION = f"""variables:
  {ROOT_SUFFIX_VAR}: {{default: ""}}
  {NAME_PREFIX_VAR}: {{default: ""}}
  {PAUSE_VAR}: {{default: ""}}
targets:
  staging:
    workspace:
      root_path: /Workspace/Users/<service principal>/.bundle/${{bundle.name}}/${{bundle.target}}${{var.{ROOT_SUFFIX_VAR}}}
    presets:
      name_prefix: ${{var.{NAME_PREFIX_VAR}}}
      trigger_pause_status: ${{var.{PAUSE_VAR}}}"""


@dataclass(frozen=True)
class Deployment:
    """One pull request's deployment of the staging target."""

    id: str

    @property
    def root_suffix(self) -> str:
        return f"{FOLDER_SUFFIX}/{self.id}"

    def cli_variables(self) -> tuple[str, ...]:
        """The `--var NAME=VALUE` assignments of every `databricks bundle` call for this deployment."""
        return (f"{ROOT_SUFFIX_VAR}={self.root_suffix}", f"{NAME_PREFIX_VAR}=[{self.id}] ", f"{PAUSE_VAR}=PAUSED")


def require_role(role: str | None, label: str, command: str) -> None:
    """`destroy` and `sweep` act on pull-request deployments, which only the staging role has."""
    if role != PULL_REQUEST_ROLE:
        raise BundleopsError(
            f"bundleops {command} removes pull-request deployments of {PULL_REQUEST_ROLE} only; refusing {label}",
            fix=f"run it with --target {PULL_REQUEST_ROLE}; a shared deployment is removed by hand with `databricks bundle destroy`",
        )


def deployment_id(config: ProjectConfig, number: int) -> str:
    return config.pull_requests.deployment.replace("{number}", str(number))


def for_context(context: CIContext, role: str | None, config: ProjectConfig) -> str | None:
    """The pull request's deployment id, or None: the run acts on the role's shared deployment."""
    if context.event != "pull_request" or role != PULL_REQUEST_ROLE or context.pr_number is None:
        return None
    return deployment_id(config, context.pr_number)


def number_of(config: ProjectConfig, deployment: str) -> int | None:
    """The pull-request number in a deployment id the pattern makes, or None when it makes no such id."""
    prefix, _, suffix = config.pull_requests.deployment.partition("{number}")
    match = re.fullmatch(re.escape(prefix) + r"([1-9][0-9]*)" + re.escape(suffix), deployment)
    return int(match.group(1)) if match else None


def pull_request_folder(shared_root: str) -> str:
    """The workspace folder holding the target's pull-request deployments."""
    return shared_root.rstrip("/") + FOLDER_SUFFIX


def require_declared(project_root: Path, deployment: str) -> None:
    """Exit 2 before any CLI call when the bundle cannot take a pull-request deployment: without the
    variables, `--var` fails in the CLI, and deploying to the shared folder instead would let pull
    requests overwrite each other's code."""
    bundle = BundleFiles.read(project_root)
    missing = [name for name in VARIABLES if bundle is None or bundle.find(f"variables.{name}") is None]
    if missing:
        raise BundleopsError(
            f"this pull request deploys its own staging deployment {deployment!r}, but the bundle does not declare the "
            f"variable{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            fix=f"add to databricks.yml (see docs/pull-request-deployments.md):\n{DECLARATION}",
            code=ExitCode.BAD_INPUT,
        )


def check_resolved_root(resolved: dict, deployment: Deployment) -> str:
    """The resolved root path of the deployment; exit 2 when the staging target's root_path does not use the suffix."""
    root = str((resolved.get("workspace") or {}).get("root_path") or "")
    if not root.endswith(deployment.root_suffix):
        raise BundleopsError(
            f"the pull-request deployment {deployment.id!r} resolves to the workspace folder {root or '-'}, the shared "
            f"deployment's: the staging target's workspace.root_path does not end with ${{var.{ROOT_SUFFIX_VAR}}}",
            fix=f"in databricks.yml (see docs/pull-request-deployments.md):\n{DECLARATION}",
            code=ExitCode.BAD_INPUT,
        )
    return root
