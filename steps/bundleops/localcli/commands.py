"""The bundle commands; each returns the exit code (0 or 1)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from bundleops.localcli import render, summary as summary_view
from bundleops.localcli.context import open_bundle
from bundleops.localcli.diagnostics import ConfigFileError


def validate(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    """Print the resolved configuration (JSON even when invalid); diagnostics go to stderr."""
    try:
        context = open_bundle(args, cwd, environ)
    except ConfigFileError as error:
        sys.stderr.write(error.diagnostic.render() + "\n")
        if args.output != "json":
            sys.stdout.write("\nFound 1 error\n")  # the text block of a bundle that did not load: no header
        return 1
    bundle = context.bundle
    bundle.diagnostics.print(sys.stderr)
    if args.output == "json":
        sys.stdout.write(render.as_json(bundle.config) + "\n")
    else:
        sys.stdout.write(render.validate_text(bundle))
    return 1 if bundle.diagnostics.has_errors else 0


def summary(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    """The configuration plus each deployed job's id and URL (read from the deployment state)."""
    context = open_bundle(args, cwd, environ)
    context.bundle.diagnostics.print(sys.stderr)
    if context.bundle.diagnostics.has_errors:
        return 1
    config = summary_view.with_deployment(context)
    if args.output == "json":
        sys.stdout.write(render.as_json(config) + "\n")
    else:
        sys.stdout.write(summary_view.text(context, config))
    return 0


def deploy(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    from bundleops.localcli.deploy import run_deploy

    return run_deploy(open_bundle(args, cwd, environ), args, cwd, environ)


def plan(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    """What a deploy would do, computed from the state and the jobs as they are; nothing is written."""
    from bundleops.localcli.plan import print_plan

    return print_plan(open_bundle(args, cwd, environ), args.output)


def destroy(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    from bundleops.localcli.destroy import run_destroy

    return run_destroy(open_bundle(args, cwd, environ), args)


def init(args: argparse.Namespace, cwd: Path, environ: Mapping[str, str]) -> int:
    """Render a local template folder; no workspace is needed."""
    from bundleops.localcli.init import run_init

    return run_init(args, cwd)
