"""`bundleops run`: one CI job's planned steps, for the bundle or for every bundle this run selects."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bundleops.config import ROLES
from bundleops.errors import BundleopsError, ExitCode
from bundleops.run.jobs import JOBS
from bundleops.step import add_project_argument

NAME = "run"
HELP = "run one CI job's planned steps (unit, target or preview) for the bundle, or for each bundle this run selects, N at a time"
DESCRIPTION = (
    "The steps a template's job runs, decided by `bundleops plan` for each bundle and run as\n"
    "`bundleops <step>` processes, with the red path: the first failing step stops the steps after\n"
    "it, publish still runs, and the job ends with the failing step's exit code.\n"
    "  --job unit      the unit tests (before any approval); publish only when they failed\n"
    "  --job target    validate, preview, deploy, test (or a closed pull request's destroy), then publish, on --target\n"
    "  --job preview   validate and the plan of the deploy, saved for the gated job (before an approval)\n"
    "--project-root is a bundle's folder (that bundle) or a repository of bundles (every bundle the\n"
    "plan selects, --parallel at a time; each bundle's reports in <report folder>/<key>/, its log\n"
    "printed as one block when it is done; docs/monorepo.md).\n"
    "Exit codes: 0 every bundle passed or had nothing to run, else the first failing bundle's code."
)
EXAMPLE = "bundleops run --job target --target staging --project-root ."
DEFAULT_PARALLEL = 10
PARALLEL_ENV = "BUNDLEOPS_PARALLEL"
# The templates' variables for the two switches, so a job passes them without shell conditionals.
GATED_ENV = "BUNDLEOPS_GATED"
SONAR_ENV = "BUNDLEOPS_SONAR"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_project_argument(parser)
    parser.add_argument("--job", default="target", choices=JOBS, help="which job's steps to run (default: target)")
    parser.add_argument("-t", "--target", metavar="ROLE", choices=ROLES, help=f"the job's target ({', '.join(ROLES)}); needed by --job target and preview")
    parser.add_argument("--gated", action="store_true", help=f"the job runs after an approval: deploy applies the plan file the preview job saved (also {GATED_ENV}=true)")
    parser.add_argument("--sonar", action="store_true", help=f"publish with --sonar, then wait for the quality gate (also {SONAR_ENV}=true)")
    parser.add_argument("--parallel", type=_positive, metavar="N", help=f"bundles at a time (default: {PARALLEL_ENV}, else {DEFAULT_PARALLEL})")


def _whole_number(text: str) -> int | None:
    """`text` as a whole number of at least 1, or None."""
    return int(text) if text.isdigit() and int(text) >= 1 else None


def _positive(text: str) -> int:
    number = _whole_number(text)
    if number is None:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return number


def _switch(name: str) -> bool:
    text = os.environ.get(name, "").strip().lower()
    if text not in ("", "true", "false"):
        raise BundleopsError(f"{name}={text!r} is neither true nor false", fix=f"set {name} to true or false, or leave it unset")
    return text == "true"


def parallel(given: int | None = None) -> int:
    """Bundles at a time: --parallel, else BUNDLEOPS_PARALLEL, else 10."""
    if given is not None:
        return given
    text = os.environ.get(PARALLEL_ENV, "").strip()
    if not text:
        return DEFAULT_PARALLEL
    number = _whole_number(text)
    if number is None:
        raise BundleopsError(f"{PARALLEL_ENV}={text!r} is not a whole number of at least 1", fix=f"set {PARALLEL_ENV} to the number of bundles to run at a time, e.g. {DEFAULT_PARALLEL}")
    return number


def run(args: argparse.Namespace) -> int:
    from bundleops.run.fan_out import JobRequest, run_selected

    if args.job != "unit" and not args.target:
        raise BundleopsError(f"--job {args.job} needs --target", fix=f"add --target {'|'.join(ROLES)}", code=ExitCode.BAD_INPUT)
    request = JobRequest(args.job, args.target, gated=args.gated or _switch(GATED_ENV), sonar=args.sonar or _switch(SONAR_ENV))
    return run_selected(request, Path(args.project_root), parallel(args.parallel))
