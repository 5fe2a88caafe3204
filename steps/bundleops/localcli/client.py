"""The workspace connection: databricks-sdk's WorkspaceClient with the real CLI's auth variables.

DATABRICKS_HOST, DATABRICKS_CLIENT_ID/SECRET, DATABRICKS_TOKEN, DATABRICKS_AUTH_TYPE (and the
SDK's other variables) are read by the SDK itself. A bundle's `workspace.host` is used only when
DATABRICKS_HOST is unset; when both are set and differ the stand-in keeps DATABRICKS_HOST and
warns (tests and the demo point every project at the local workspace this way).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from bundleops.localcli.diagnostics import CliError
from bundleops.localcli.user import current_user

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


def connect(bundle_host: str | None = None) -> WorkspaceClient:
    from databricks.sdk import WorkspaceClient

    env_host = os.environ.get("DATABRICKS_HOST")
    try:
        if env_host or not bundle_host:
            return WorkspaceClient()
        return WorkspaceClient(host=bundle_host)
    except Exception as error:  # noqa: BLE001 - the SDK raises ValueError and its own types for bad auth config
        raise CliError(f"cannot resolve bundle auth configuration: {error}") from error


def host_mismatch(bundle_host: str | None) -> str:
    """The warning text when the bundle's host and DATABRICKS_HOST differ, else ''."""
    env_host = os.environ.get("DATABRICKS_HOST", "")
    if bundle_host and env_host and bundle_host.rstrip("/") != env_host.rstrip("/"):
        return f"workspace.host {bundle_host} differs from DATABRICKS_HOST {env_host}; the databricks CLI stand-in uses DATABRICKS_HOST"
    return ""


def me(client: WorkspaceClient) -> dict[str, Any]:
    """`workspace.current_user` for the identity the client authenticates as (SCIM Me)."""
    from databricks.sdk.errors import DatabricksError

    try:
        identity = client.current_user.me()
    except DatabricksError as error:
        raise CliError(str(error)) from error
    except Exception as error:  # noqa: BLE001 - token endpoint and connection failures surface as several types
        raise CliError(f"cannot reach {client.config.host}: {error}") from error
    return current_user(identity.user_name or "", identity.id or "", identity.display_name or "")
