"""What every step does before its own work: read the project, detect the context, apply the prod guard.

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
from bundleops.config import ProjectConfig
from bundleops.context import CIContext, detect
from bundleops.errors import BundleopsError
from bundleops.output import CIWriter, current
from bundleops.output.redact import register_environment
from bundleops.plan.guard import BREAK_GLASS_ENV, check_target
from bundleops.plan.rules import TARGETS

# Steps that hand the bundle to the databricks CLI, and the root file names the CLI accepts.
BUNDLE_STEPS = ("validate", "deploy", "test")
BUNDLE_FILES = ("databricks.yml", "databricks.yaml", "bundle.yml", "bundle.yaml")


@dataclass(frozen=True)
class StepRun:
    name: str
    target: str | None
    project_root: Path
    config: ProjectConfig
    context: CIContext
    out: CIWriter


def add_project_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project-root",
        type=Path,
        default=Path("."),
        metavar="DIR",
        help="the bundle project's root, where databricks.yml and bundleops.yml live (default: the current folder)",
    )


def add_target_argument(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    add_project_argument(parser)
    parser.add_argument("-t", "--target", choices=TARGETS, required=required, help="the bundle target")
    parser.add_argument(
        "--break-glass",
        metavar="REASON",
        default=None,
        help=f"emergency only: allow prod outside the default branch or a release tag (never from a pull request); "
        f"logged loudly. Also read from {BREAK_GLASS_ENV}",
    )


def load_project(project_root: Path) -> tuple[ProjectConfig, CIContext]:
    """The project's bundleops.yml and the CI context it shapes (its default branch)."""
    config = project_config.load(project_root)
    register_environment(extra=tuple(config.secret_variables))
    return config, detect(config, cwd=project_root)


def require_bundle(project_root: Path) -> None:
    """Without this the CLI fails late and vaguely (exit 1 from validate, 3 from test): name the folder and the fix."""
    if not any((project_root / name).is_file() for name in BUNDLE_FILES):
        raise BundleopsError(
            f"no databricks.yml in {project_root.resolve()}: the step needs the bundle project's folder",
            fix="run it from the folder that holds databricks.yml, or pass --project-root DIR",
        )


@contextlib.contextmanager
def begin(name: str, args: argparse.Namespace) -> Iterator[StepRun]:
    target: str | None = getattr(args, "target", None)
    project_root: Path = getattr(args, "project_root", Path("."))
    config, context = load_project(project_root)
    out = current()
    break_glass = getattr(args, "break_glass", None) or os.environ.get(BREAK_GLASS_ENV)
    warning = check_target(target, context, config, break_glass)
    if name in BUNDLE_STEPS and target:
        require_bundle(project_root)
    if warning:
        out.warning(warning, title="break-glass")
        out.summary(f"> [!CAUTION]\n> {warning}")
    trace.record(name, target, context.vendor)
    with out.group(f"bundleops {name}" + (f" --target {target}" if target else "")):
        yield StepRun(name, target, project_root, config, context, out)
