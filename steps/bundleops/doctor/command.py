"""`bundleops doctor --target T`: what a target needs, checked read-only and in seconds, one line each."""

from __future__ import annotations

import argparse

from bundleops import step

NAME = "doctor"
HELP = "check, read-only and in seconds, what a target needs: the databricks CLI, the host, the credentials, the root path and its permissions"
DESCRIPTION = (
    "Checks, one line each (`ok|FAIL <what>: <detail>`, the fix under a failure):\n"
    "  databricks CLI  found (PATH or DATABRICKS_CLI_PATH) and at least the version bundleops needs\n"
    "  host            DATABRICKS_HOST is https://<host> and answers OAuth discovery as a workspace\n"
    "  identity        the credentials are allowed for the target and the workspace accepts them (SCIM Me)\n"
    "  root path       the target's workspace.root_path, as `databricks bundle summary` resolves it\n"
    "  permission      what the identity may do there, or at the nearest folder above it that exists\n"
    "A check whose inputs failed is skipped, and named. Nothing is written: allowed for any target, from\n"
    "a developer's shell and from CI. A wrong host or a refused credential fails in seconds; only a\n"
    "workspace that answers busy is waited for, up to auth.retry_timeout_seconds.\n"
    "Exit codes: 0 all ok, 2 bad input, configuration, host or credentials (or no usable CLI),\n"
    "3 the workspace stayed unavailable after retries."
)
EXAMPLE = "bundleops doctor --target staging"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    step.add_target_argument(parser)


def run(args: argparse.Namespace) -> int:
    from bundleops.doctor import checks

    with step.begin(NAME, args) as run:
        doctor = checks.Doctor(run.out.info)
        found = doctor.attempt("databricks CLI", checks.cli)
        doctor.attempt("host", lambda: checks.host(run))
        if doctor.failed("host"):
            return doctor.finish("identity, root path, permission", "they need a host that is a workspace")
        signed_in = doctor.attempt("identity", lambda: checks.identity(run))
        if signed_in is None:
            return doctor.finish("root path, permission", "they need credentials the workspace accepts")
        if found is None:
            return doctor.finish("root path, permission", "they need the databricks CLI")
        path = doctor.attempt("root path", lambda: checks.root_path(run, found))
        if path is None:
            return doctor.finish("permission", "it needs the root path")
        workspace, who = signed_in
        doctor.attempt("permission", lambda: checks.permission(run, workspace, who, path))
        return doctor.finish()
