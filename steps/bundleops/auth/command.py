"""`bundleops auth`: log in as the CI's service principal and say who that is (never a secret)."""

from __future__ import annotations

import argparse
import os

from bundleops import step

NAME = "auth"
HELP = "authenticate with databricks-sdk unified auth and print the identity (never a secret)"
DESCRIPTION = (
    "Authenticates with the auth type pinned in DATABRICKS_AUTH_TYPE (oauth-m2m, azure-client-secret,\n"
    "github-oidc, azure-devops-oidc, env-oidc, file-oidc; pat only for the targets auth.allow_human_identity\n"
    "names) and prints which identity it is. In CI the auth type must be pinned: the CLI and the SDK try\n"
    "auth methods in different orders. A user identity is refused for staging and prod.\n"
    "DATABRICKS_HOST must be https://<host> (plain http only for a loopback address), without a password.\n"
    "Exit codes: 0 authenticated, 2 a bad host or missing or refused credentials, 3 the workspace stayed\n"
    "unavailable for auth.retry_timeout_seconds, or SCIM Me kept failing with a server error."
)
EXAMPLE = "bundleops auth --target staging    # with DATABRICKS_AUTH_TYPE=oauth-m2m and the client id and secret in the environment"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    step.add_target_argument(parser, required=False)


def run(args: argparse.Namespace) -> int:
    from bundleops.auth import client, policy

    with step.begin(NAME, args) as run:
        auth_type = policy.check_auth_type(run.context, run.target, run.config, os.environ)
        workspace, identity = client.connect(retry_timeout_seconds=run.config.auth.retry_timeout_seconds)
        policy.check_identity(identity, run.target, run.config)
        run.out.info(f"authenticated to {workspace.config.host} as {identity.describe()} ({auth_type or workspace.config.auth_type})")
        run.out.set_output("databricks_identity", identity.user_name)
    return 0
