"""A databricks-sdk WorkspaceClient from the environment (unified auth), with its failures
sorted into the exit classes: a bad host or wrong credentials is exit 2 (change something), a
workspace that stays unavailable for auth.retry_timeout_seconds is exit 3 (try again later).
A host that cannot be a workspace is told apart first, in seconds (auth/reachability.py), and
the retry window is the whole budget of the connection: discovery, token and SCIM Me share it.
Imported only by steps that call the SDK: importing databricks-sdk takes seconds."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bundleops.auth import reachability
from bundleops.auth.policy import Identity
from bundleops.errors import BundleopsError, ExitCode

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

CREDENTIALS_FIX = (
    "check DATABRICKS_HOST and the credentials of DATABRICKS_AUTH_TYPE (oauth-m2m: DATABRICKS_CLIENT_ID and "
    "DATABRICKS_CLIENT_SECRET; OIDC: the federation policy's issuer, subject and audience)"
)
HOST_ENV = "DATABRICKS_HOST"
# Plain http is for a workspace on this machine (the local workspace, a tunnel); anything else is https.
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# Every workspace answers OAuth discovery without credentials: what it answers tells an outage from bad credentials.
DISCOVERY_PATH = reachability.DISCOVERY_PATH
SCIM_ME = "GET /api/2.0/preview/scim/v2/Me"
MAX_BACKOFF_SECONDS = 10.0


def check_host(host: str) -> str:
    """The workspace URL, refused (exit 2, the URL never echoed with a password) unless it is https://<host>."""
    try:
        parts = urlsplit(host.strip())
        hostname = parts.hostname
    except ValueError:
        parts, hostname = None, None
    if parts is not None and (parts.username or parts.password):
        from bundleops.output import current

        current().mask(parts.password or parts.username or "")
        raise BundleopsError(
            f"{HOST_ENV} carries a user name or password (https://***@{hostname or '...'}): credentials never go into the URL",
            fix=f"set {HOST_ENV} to https://{hostname or '<workspace host>'} and the credentials in the variables DATABRICKS_AUTH_TYPE names; rotate the exposed password",
        )
    if parts is None or not hostname or " " in host.strip() or parts.scheme not in ("https", "http") or (parts.scheme == "http" and hostname not in LOOPBACK):
        raise BundleopsError(
            f"{HOST_ENV} {host!r} is not a workspace URL (https://<workspace host>)",
            fix=f"set {HOST_ENV} to the workspace URL as the browser shows it, e.g. https://adb-1234567890123456.7.azuredatabricks.net",
        )
    return f"{parts.scheme}://{parts.netloc}"


def _unavailable(host: str, waited: float, detail: str) -> BundleopsError:
    return BundleopsError(
        f"cannot reach the workspace {host}: it stayed unavailable for {waited:.0f} s ({detail})",
        fix="check the workspace's status and the network path from the CI runner, then re-run; auth.retry_timeout_seconds in bundleops.yml sets how long bundleops retries",
        code=ExitCode.EXTERNAL_FAILURE,
    )


def _connect(host: str | None, retry_timeout_seconds: int) -> tuple[WorkspaceClient, Identity]:
    """A client and its identity, within one retry window.

    A host that cannot be a workspace fails at the first discovery request (reachability). While
    the workspace does not answer OAuth discovery (429, 5xx, time-outs) it is waited for, and the
    SDK is not started: its host-metadata and token retries would each take a window of their own. The SDK reports every
    credential-provider failure (discovery, token) as ValueError, at configuration or at the first
    call; whether the workspace answers discovery then tells which it was. Without a host the SDK
    finds one itself (a ~/.databrickscfg profile) and a failure is configuration."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config

    started = time.monotonic()
    backoff = 1.0

    def wait_or_give_up(detail: str) -> None:
        """Sleep before the next attempt, or raise exit 3 when that would pass the window."""
        nonlocal backoff
        waited = time.monotonic() - started
        if waited + backoff > retry_timeout_seconds:
            raise _unavailable(host or "the workspace", waited, detail)
        time.sleep(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    while True:
        if host is not None and not reachability.discovery_answers(host):  # a wrong host raises here, at once
            wait_or_give_up(f"{DISCOVERY_PATH} did not answer")
            continue
        left = max(1, round(retry_timeout_seconds - (time.monotonic() - started)))
        try:
            client = WorkspaceClient(config=Config(host=host, retry_timeout_seconds=left))
            return client, _identity(client, left)
        except ValueError as error:
            if host is None or reachability.discovery_answers(host):
                raise BundleopsError(f"authentication to {host or 'the workspace'} failed: {error}", fix=CREDENTIALS_FIX) from None
            wait_or_give_up(f"{DISCOVERY_PATH} did not answer: {error}")


def _identity(client: WorkspaceClient, retry_timeout_seconds: int) -> Identity:
    """SCIM Me, a GET and so retried on what the SDK does not retry (a 500, a gateway page) within what is left of the window.

    The token is fetched first, outside the retries: its failures are ValueErrors that _connect sorts."""
    from bundleops.workspace_calls import Calls
    from bundleops.cancel_signals import Guard

    client.config.authenticate()
    me = Calls(Guard(), retry_timeout_seconds, client.config.host or "").call(SCIM_ME, client.current_user.me)
    return Identity(me.user_name or "", me.display_name or "")


def connect(host: str | None = None, *, retry_timeout_seconds: int = 300) -> tuple[WorkspaceClient, Identity]:
    """A client and the identity it authenticates as (SCIM Me); DATABRICKS_HOST wins over `host`."""
    chosen = os.environ.get(HOST_ENV) or host
    return _connect(check_host(chosen) if chosen else None, retry_timeout_seconds)


def for_bundle(resolved: dict[str, Any], *, retry_timeout_seconds: int) -> WorkspaceClient:
    """A client for the workspace a resolved bundle (`bundle summary -o json`) names; DATABRICKS_HOST wins, as in connect()."""
    return connect((resolved.get("workspace") or {}).get("host"), retry_timeout_seconds=retry_timeout_seconds)[0]


def verify_environment(*, retry_timeout_seconds: int) -> Identity | None:
    """The identity DATABRICKS_HOST and the credentials give (None without DATABRICKS_HOST); exit 2 or 3 as connect()."""
    if not os.environ.get(HOST_ENV):
        return None
    return connect(retry_timeout_seconds=retry_timeout_seconds)[1]
