"""One quick look at DATABRICKS_HOST before anything is retried: a wrong host fails in seconds.

A name that does not resolve, a port where nothing listens, or TLS to something that is not a
workspace is almost always a wrong DATABRICKS_HOST, not an outage: retrying it for
auth.retry_timeout_seconds (and the SDK's own host-metadata wait before that) only delays the
red pipeline by minutes. So the first request of a step, OAuth discovery (every workspace answers
it without credentials), is made with short time limits and its failure sorted:
- no answer that can come from a workspace: exit 2 at once, naming the host and what to check;
- an answer meaning the workspace is there but busy (429, 5xx) or a time-out: False, and the
  caller's retry window decides, as before.
"""

from __future__ import annotations

import errno
import socket
from typing import Iterator

from bundleops.errors import BundleopsError

CONNECT_SECONDS = 5.0
READ_SECONDS = 10.0
DISCOVERY_PATH = "/oidc/.well-known/oauth-authorization-server"
HOST_FIX = "set DATABRICKS_HOST to the workspace URL as the browser shows it (https://<workspace host>), and check that the CI runner can reach it"


def discovery_answers(host: str) -> bool:
    """Whether `host` answers OAuth discovery now. False: busy (429, 5xx), a time-out or another
    connection failure, which the caller's retry window decides. A host that cannot be a reachable
    workspace raises the exit-2 error instead, whenever it is asked."""
    import requests

    try:
        response = requests.get(host + DISCOVERY_PATH, timeout=(CONNECT_SECONDS, READ_SECONDS), allow_redirects=False)
    except requests.exceptions.SSLError as error:
        raise _bad_host(host, f"the TLS handshake failed, so it is not a Databricks workspace ({_first_line(error)})") from None
    except requests.exceptions.ConnectionError as error:
        cause = _connection_failure(error)
        if cause:
            raise _bad_host(host, cause) from None
        return False
    except requests.RequestException:
        return False  # a time-out: a slow workspace
    if response.status_code == 404:
        raise _bad_host(host, f"it answers, but not as a Databricks workspace (HTTP 404 for {DISCOVERY_PATH})")
    return response.status_code != 429 and response.status_code < 500


def _connection_failure(error: Exception) -> str | None:
    """Why the connection failed, when that means a wrong host: the name or the port."""
    causes = list(_causes(error))
    if any(isinstance(cause, socket.gaierror) for cause in causes):
        return "its name does not resolve (no such host)"
    if any(isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED for cause in causes):
        return "nothing accepts connections there (connection refused)"
    return None


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and what it wraps: requests' ConnectionError holds urllib3's MaxRetryError, whose
    `reason` was raised from the socket's own error (gaierror, ConnectionRefusedError)."""
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [*(arg for arg in current.args if isinstance(arg, BaseException)), getattr(current, "reason", None), current.__cause__, current.__context__]
        pending.extend(item for item in wrapped if isinstance(item, BaseException))


def _bad_host(host: str, cause: str) -> BundleopsError:
    return BundleopsError(f"DATABRICKS_HOST {host} is not a workspace this runner can reach: {cause}; nothing was retried", fix=HOST_FIX)


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0][:200] if str(error) else type(error).__name__
