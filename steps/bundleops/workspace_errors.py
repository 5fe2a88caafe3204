"""What a failed workspace call means: worth another attempt or not, its exit class, and a message.

databricks-sdk already retries 429 and 503 (honouring Retry-After), connection errors and
timeouts, for `retry_timeout_seconds`, on every method. It does not retry a 500, a 502 or 504
page from a load balancer, or a 200 whose body is not JSON (that one escapes as a
`requests.JSONDecodeError`), and when its window is over it raises a bare `TimeoutError`. Steps
that call the SDK use `is_transient` to decide what a call that is safe to repeat retries on
top of the SDK, and `to_error` to turn whatever is left into a BundleopsError that names the
endpoint, the exit class and the fix, so no HTTP failure ever ends a step with a traceback.
Any step that calls the SDK (test, deploy, auth) can use it; it imports the SDK only inside
functions.
"""

from __future__ import annotations

import json

from bundleops.errors import BundleopsError, ExitCode

# Gateway pages (HTML) reach the SDK as a bare DatabricksError whose code is the status text.
GATEWAY_CODES = frozenset({"BAD_GATEWAY", "GATEWAY_TIMEOUT", "SERVICE_UNAVAILABLE", "INTERNAL_SERVER_ERROR"})
CREDENTIALS_FIX = "check the CI secret for the workspace's service principal (DATABRICKS_CLIENT_ID/SECRET or the OIDC federation policy) and its permissions on the job"


def is_transient(error: BaseException) -> bool:
    """A failure another attempt may not see: a server error, a gateway page, a broken body, a dropped connection."""
    import requests
    from databricks.sdk.errors import DatabricksError, DeadlineExceeded, InternalError, TemporarilyUnavailable, TooManyRequests

    if isinstance(error, (InternalError, TemporarilyUnavailable, DeadlineExceeded, TooManyRequests)):
        return True
    if isinstance(error, DatabricksError):
        return type(error) is DatabricksError and (error.error_code or "") in GATEWAY_CODES
    return isinstance(error, (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError, json.JSONDecodeError))


def _is_credentials(error: BaseException) -> bool:
    from databricks.sdk.errors import PermissionDenied, Unauthenticated

    return isinstance(error, (Unauthenticated, PermissionDenied))


def describe(error: BaseException) -> str:
    """One line about the failure: the SDK's message without its `Config: ...` dump, or what the network said."""
    import requests

    if isinstance(error, TimeoutError) and error.__cause__ is not None:
        return f"still failing when the SDK's retry window ended ({describe(error.__cause__)})"
    if isinstance(error, json.JSONDecodeError):
        return f"the answer was not valid JSON ({error})"
    text = str(error).split(". Config:", 1)[0].strip() or type(error).__name__
    return f"{type(error).__name__}: {text}" if isinstance(error, requests.RequestException) else text


def to_error(error: BaseException, endpoint: str, *, host: str = "", window_seconds: float | None = None) -> BundleopsError:
    """The BundleopsError for a call to `endpoint` (e.g. `GET jobs/runs/get`) that failed for good.

    401/403 are the credentials (exit 2); everything else a workspace that kept failing (exit 3).
    """
    where = f"{endpoint} on {host}" if host else endpoint
    if _is_credentials(error):
        return BundleopsError(f"the workspace refused {where}: {describe(error)}", fix=CREDENTIALS_FIX, code=ExitCode.BAD_INPUT)
    tried = f" for {window_seconds:g} s" if window_seconds else ""
    return BundleopsError(
        f"{where} failed{' after retries' + tried if is_transient(error) or isinstance(error, TimeoutError) else ''}: {describe(error)}",
        fix="the workspace or the network to it is failing: check the workspace's status page and rerun the CI job; "
        "raise auth.retry_timeout_seconds in bundleops.yml to ride out longer outages",
        code=ExitCode.EXTERNAL_FAILURE,
    )
