"""What every step does before its own work: read the project, detect the context, resolve `--target`
to a role and the bundle target it stands for (bundleops.yml `targets:`), apply the prod guard.

A step's `run(args)` is written as

    with step.begin("deploy", args) as run:
        ...  # run.config, run.context, run.out

so that the guard, the trace and the log group can never be forgotten by one step.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from bundleops import config as project_config
from bundleops import trace
from bundleops.bundle_files import ROOT_FILE_NAMES, BundleFiles
from bundleops.config import ROLES, ProjectConfig
from bundleops.context import CIContext, detect
from bundleops.errors import BundleopsError
from bundleops.output import CIWriter, current
from bundleops.output import markdown as md
from bundleops.output.redact import register_environment
from bundleops.plan import roles
from bundleops.plan.guard import BREAK_GLASS_ENV, READ_ONLY_STEPS, check_target

# Steps that hand the bundle to the databricks CLI.
BUNDLE_STEPS = ("validate", "preview", "deploy", "test", "destroy", "sweep", "drift", "history", "rollback")


@dataclass(frozen=True)
class StepRun:
    name: str
    # The role (dev, staging, prod) and the bundle's own name for it (bundleops.yml `targets:`).
    target_ref: roles.TargetRef | None
    project_root: Path
    config: ProjectConfig
    context: CIContext
    out: CIWriter
    # The targets the bundle defines, read once when the step began (None: no readable databricks.yml).
    bundle_targets: list[str] | None = None

    @property
    def target(self) -> str | None:
        """The role: what policies and the guard decide on."""
        return self.target_ref.role if self.target_ref else None

    @property
    def bundle_target(self) -> str | None:
        """The bundle's own name for the role: what `-t` and records use."""
        return self.target_ref.bundle_target if self.target_ref else None

    @property
    def target_label(self) -> str:
        """The target for messages: `prod`, or `prod (bundle target production)` when the bundle names it otherwise."""
        return self.target_ref.describe() if self.target_ref else "-"


def add_project_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project-root",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the bundle project's root, where databricks.yml and bundleops.yml live (default: the current folder)",
    )


def add_target_argument(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """`-t/--target`; for a step that always acts on a target (`required`), leaving it out means the
    plan's target for this run (`bundleops plan`: dev in a developer's shell)."""
    add_project_argument(parser)
    parser.add_argument(
        "-t",
        "--target",
        metavar="ROLE",
        default=None,
        help=f"the role: {', '.join(ROLES)}, which bundleops.yml `targets:` maps to the bundle's own target names "
        "(a mapped bundle target name is accepted too)" + ("; default: the plan's target for this run (dev in a developer's shell)" if required else ""),
    )
    parser.set_defaults(target_from_plan=required)
    parser.add_argument(
        "--break-glass",
        metavar="REASON",
        default=None,
        help=f"emergency only: allow prod from a CI run outside the default branch or a release tag (never from a "
        f"pull request, a fork or a developer's shell); logged loudly. Also read from {BREAK_GLASS_ENV}",
    )


def load_project(project_root: Path) -> tuple[ProjectConfig, CIContext]:
    """The project's bundleops.yml and the CI context it shapes (its default branch)."""
    config = project_config.load(project_root)
    register_environment(extra=tuple(config.secret_variables))
    return config, detect(config, cwd=project_root)


def require_bundle(project_root: Path) -> None:
    """Without this the CLI fails late and vaguely (exit 1 from validate, 3 from test): name the folder and the fix."""
    if not any((project_root / name).is_file() for name in ROOT_FILE_NAMES):
        raise BundleopsError(
            f"no databricks.yml in {project_root.resolve()}: the step needs the bundle project's folder",
            fix="run it from the folder that holds databricks.yml, or pass --project-root DIR",
        )


@contextlib.contextmanager
def begin(name: str, args: argparse.Namespace, *, read_only: bool | None = None) -> Iterator[StepRun]:
    """Load the project, apply the prod guard (`read_only`: a look that changes nothing, by default the
    READ_ONLY_STEPS'), record the trace, and open the step's log group."""
    project_root: Path = getattr(args, "project_root", Path("."))
    config, context = load_project(project_root)
    out = current()
    break_glass = getattr(args, "break_glass", None) or os.environ.get(BREAK_GLASS_ENV)
    requested: str | None = getattr(args, "target", None) or _planned_target(name, args, config, context)
    names = bundle_targets(project_root) if requested else None
    looks_only = name in READ_ONLY_STEPS if read_only is None else read_only
    target = _guarded_target(requested, names, config, context, break_glass, out, read_only=looks_only)
    if name in BUNDLE_STEPS and target:
        require_bundle(project_root)
    trace.record(name, target.role if target else None, context.vendor, project_root)
    with out.group(f"bundleops {name}" + (f" --target {target.describe()}" if target else "")):
        yield StepRun(name, target, project_root, config, context, out, names)


def _planned_target(name: str, args: argparse.Namespace, config: ProjectConfig, context: CIContext) -> str | None:
    """Without `--target`, a step that always acts on one takes the plan's (dev in a developer's shell)."""
    if not getattr(args, "target_from_plan", False):
        return None
    from bundleops.plan.planner import make_plan

    planned = make_plan(context, config).target
    if planned is None:
        raise BundleopsError(
            f"no --target given, and the plan for this run ({context.describe()}) has no target for `bundleops {name}`",
            fix="pass --target ROLE (dev, staging or prod), or run `bundleops plan` to see what this event runs",
        )
    return planned


def _guarded_target(
    requested: str | None, names: list[str] | None, config: ProjectConfig, context: CIContext, break_glass: str | None, out: CIWriter,
    *, read_only: bool = False,
) -> roles.TargetRef | None:
    """`--target` as a role, which the prod guard allows."""
    if not requested:
        return None
    target = roles.resolve(requested, config, names)
    warning = check_target(target.role, context, config, break_glass, read_only=read_only)
    if warning:
        out.warning(warning, title="break-glass")
        out.summary(f"> [!CAUTION]\n> {md.code(warning)}")
    return target


def bundle_targets(project_root: Path) -> list[str] | None:
    """The targets the project's bundle defines (None: no readable databricks.yml)."""
    bundle = BundleFiles.read(project_root)
    return bundle.target_names() if bundle else None


def check_bundle_target(run: StepRun) -> None:
    """Before the CLI acts on the target: the bundle defines the target the role stands for (exit 2 naming those it has).

    Only steps that hand the target to the CLI check it; `unit` and `publish` use the role as a label.
    """
    if run.target_ref:
        roles.check_in_bundle(run.target_ref, run.config, run.bundle_targets)
