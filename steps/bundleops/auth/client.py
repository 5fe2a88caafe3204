"""A databricks-sdk WorkspaceClient from the environment (unified auth), with its failures
turned into errors that say what to fix. Imported only by steps that call the SDK: importing
databricks-sdk takes seconds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bundleops.auth.policy import Identity
from bundleops.errors import BundleopsError, ExitCode

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

CREDENTIALS_FIX = (
    "check DATABRICKS_HOST and the credentials of DATABRICKS_AUTH_TYPE (oauth-m2m: DATABRICKS_CLIENT_ID and "
    "DATABRICKS_CLIENT_SECRET; OIDC: the federation policy's issuer, subject and audience)"
)


def _is_unreachable(error: BaseException) -> bool:
    import requests

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (requests.ConnectionError, requests.Timeout, ConnectionError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _answers(host: str | None) -> bool:
    """Whether anything answers HTTP at the host: the SDK reports an unreachable host as an auth
    configuration problem (its OIDC discovery fails first), which sends people to the wrong fix."""
    import requests

    if not host:
        return True
    try:
        requests.get(host, timeout=5)
    except requests.RequestException:
        return False
    return True


def _failure(error: BaseException, host: str | None) -> BundleopsError:
    if _is_unreachable(error) or not _answers(host):
        return BundleopsError(f"cannot reach the workspace {host or ''}: {error}", fix="check DATABRICKS_HOST and the network path from the CI runner", code=ExitCode.EXTERNAL_FAILURE)
    return BundleopsError(f"authentication to {host or 'the workspace'} failed: {error}", fix=CREDENTIALS_FIX)


def connect(host: str | None = None, *, retry_timeout_seconds: int = 300) -> tuple[WorkspaceClient, Identity]:
    """A client and the identity it authenticates as (SCIM Me); DATABRICKS_HOST wins over `host`."""
    import os

    import requests
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config
    from databricks.sdk.errors import DatabricksError

    host = os.environ.get("DATABRICKS_HOST") or host
    try:
        client = WorkspaceClient(config=Config(host=host, retry_timeout_seconds=retry_timeout_seconds))
        me = client.current_user.me()
    except (ValueError, DatabricksError, requests.RequestException, OSError, TimeoutError) as error:
        # Config and the token endpoint raise ValueError; API calls DatabricksError; the network requests'
        raise _failure(error, host) from None
    return client, Identity(me.user_name or "", me.display_name or "")
