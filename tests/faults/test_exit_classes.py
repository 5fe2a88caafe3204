"""Exit classes of auth, validate, deploy and test, as docs/steps.md lists them, with faults from the proxy.

Bad host and wrong credentials are bad input (2) from every step; a workspace that stays
unavailable, or a server error on SCIM Me, is an external failure (3) that names what failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.faults.stepfaults import assert_outcome, env, sdk, shim_dir, workspace  # noqa: F401 - fixtures
from tests.steps.project import bundleops, shop_project
from tests.support.faultproxy import FaultProxy, Rule, Status

pytestmark = pytest.mark.integration

STEPS = (["auth", "--target", "staging"], ["validate", "--target", "staging"], ["deploy", "--target", "staging"], ["test", "--target", "staging"])
SCIM_ME = r"/api/2\.0/preview/scim/v2/Me"


@pytest.mark.parametrize("args", STEPS, ids=lambda args: args[0])
@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("adb-123.azuredatabricks.net", "DATABRICKS_HOST 'adb-123.azuredatabricks.net' is not a workspace URL"),
        ("http://adb-123.azuredatabricks.net", "DATABRICKS_HOST 'http://adb-123.azuredatabricks.net' is not a workspace URL"),
        ("https://exa mple.com", "is not a workspace URL (https://<workspace host>)"),
    ],
    ids=["no-scheme", "plain-http", "space"],
)
def test_a_bad_host_is_bad_input(tmp_path: Path, env: dict[str, str], sdk: Any, args: list[str], host: str, message: str) -> None:
    project = shop_project(tmp_path / "p")
    output = assert_outcome(bundleops(args, project, {**env, "DATABRICKS_HOST": host}), 2, sdk, project)
    assert message in output and "fix: set DATABRICKS_HOST to the workspace URL" in output


WORKSPACE_STEPS = (*STEPS, ["preview", "--target", "staging"])


@pytest.mark.parametrize("args", WORKSPACE_STEPS, ids=lambda args: args[0])
@pytest.mark.parametrize(
    ("host", "cause"),
    [
        ("http://127.0.0.1:9", "nothing accepts connections there (connection refused)"),
        ("https://no-such-workspace.invalid", "its name does not resolve (no such host)"),
    ],
    ids=["closed-port", "unresolvable"],
)
def test_a_host_nothing_answers_at_is_bad_input_at_once(tmp_path: Path, env: dict[str, str], sdk: Any, args: list[str], host: str, cause: str) -> None:
    """A wrong host is told from an outage by one request, before any retry: exit 2, naming the host
    (issue 20: a closed port used to be retried for the whole window twice, ten minutes)."""
    project = shop_project(tmp_path / "p")
    output = assert_outcome(bundleops(args, project, {**env, "DATABRICKS_HOST": host}, timeout=60), 2, sdk, project)
    assert f"DATABRICKS_HOST {host} is not a workspace this runner can reach: {cause}; nothing was retried" in output
    assert "fix: set DATABRICKS_HOST to the workspace URL" in output and "stayed unavailable" not in output


@pytest.mark.parametrize(("rule", "cause"), [
    (Rule("GET", r"/oidc/\.well-known/.*", Status(404)), "it answers, but not as a Databricks workspace (HTTP 404 for /oidc/.well-known/oauth-authorization-server)"),
], ids=["not-a-workspace"])
def test_a_server_that_is_not_a_workspace_is_bad_input_at_once(tmp_path: Path, env: dict[str, str], sdk: Any, workspace: Any, rule: Rule, cause: str) -> None:
    project = shop_project(tmp_path / "p")
    with FaultProxy(workspace.host, [rule]) as proxy:
        output = assert_outcome(bundleops(["auth", "--target", "staging"], project, {**env, "DATABRICKS_HOST": proxy.host}, timeout=60), 2, sdk, project)
    assert f"DATABRICKS_HOST {proxy.host} is not a workspace this runner can reach: {cause}" in output
    assert len(proxy.injected) == 1, "one request decides; nothing is retried"


def test_tls_to_something_that_is_not_a_workspace_is_bad_input_at_once(tmp_path: Path, env: dict[str, str], sdk: Any, workspace: Any) -> None:
    """https:// to a plain-http server (the local workspace): the handshake fails, exit 2."""
    host = workspace.host.replace("http://", "https://")
    project = shop_project(tmp_path / "p")
    output = assert_outcome(bundleops(["auth", "--target", "staging"], project, {**env, "DATABRICKS_HOST": host}, timeout=60), 2, sdk, project)
    assert f"DATABRICKS_HOST {host} is not a workspace this runner can reach: the TLS handshake failed" in output


@pytest.mark.parametrize("args", STEPS, ids=lambda args: args[0])
def test_a_password_in_the_host_is_bad_input_and_never_printed(tmp_path: Path, env: dict[str, str], sdk: Any, args: list[str]) -> None:
    project = shop_project(tmp_path / "p")
    host = "https://deployer:pa55-in-the-url@adb-123.azuredatabricks.net"
    output = assert_outcome(bundleops(args, project, {**env, "DATABRICKS_HOST": host}), 2, sdk, project, secrets=("pa55-in-the-url",))
    assert "DATABRICKS_HOST carries a user name or password (https://***@adb-123.azuredatabricks.net)" in output
    assert "set DATABRICKS_HOST to https://adb-123.azuredatabricks.net" in output


@pytest.mark.parametrize("args", STEPS, ids=lambda args: args[0])
def test_a_wrong_client_secret_is_bad_input_from_every_step(tmp_path: Path, env: dict[str, str], sdk: Any, args: list[str]) -> None:
    project = shop_project(tmp_path / "p")
    wrong = "dose9ffd-wrong-secret-1c48178acc420"
    output = assert_outcome(bundleops(args, project, {**env, "DATABRICKS_CLIENT_SECRET": wrong}), 2, sdk, project, secrets=(wrong,))
    assert "invalid_client: Client authentication failed" in output
    assert "fix: check DATABRICKS_HOST and the credentials of DATABRICKS_AUTH_TYPE" in output


@pytest.mark.parametrize("args", STEPS[:2], ids=lambda args: args[0])
def test_a_workspace_that_stays_unavailable_is_an_external_failure_after_the_retry_window(
    tmp_path: Path, env: dict[str, str], sdk: Any, workspace: Any, args: list[str]
) -> None:
    project = shop_project(tmp_path / "p", changes={"bundleops.yml": "auth:\n  retry_timeout_seconds: 3\n"})
    with FaultProxy(workspace.host, [Rule("*", r"/.*", Status(503))]) as proxy:
        result = bundleops(args, project, {**env, "DATABRICKS_HOST": proxy.host}, timeout=120)
    output = assert_outcome(result, 3, sdk, project, secrets=(workspace.client_secret,))
    assert f"cannot reach the workspace {proxy.host}: it stayed unavailable for" in output
    waited = int(output.split("it stayed unavailable for ", 1)[1].split(" s", 1)[0])
    assert 1 <= waited <= 3, f"retried for {waited} s: the window of 3 s is the whole budget"
    assert "auth.retry_timeout_seconds in bundleops.yml sets how long bundleops retries" in output
    assert "check your credentials" not in output and "authentication to" not in output


@pytest.mark.parametrize("args", STEPS[:3], ids=lambda args: args[0])
def test_a_server_error_on_scim_me_is_retried_and_is_not_an_authentication_failure(
    tmp_path: Path, env: dict[str, str], sdk: Any, workspace: Any, args: list[str]
) -> None:
    project = shop_project(tmp_path / "p", changes={"bundleops.yml": "auth:\n  retry_timeout_seconds: 3\n"})
    with FaultProxy(workspace.host, [Rule("GET", SCIM_ME, Status(500))]) as proxy:
        result = bundleops(args, project, {**env, "DATABRICKS_HOST": proxy.host})
    output = assert_outcome(result, 3, sdk, project, secrets=(workspace.client_secret,))
    assert f"GET /api/2.0/preview/scim/v2/Me on {proxy.host} failed after retries for 3 s: injected fault: 500" in output
    assert len(proxy.injected) >= 2  # retried: a GET is safe to repeat
    assert "authentication" not in output.lower()


def test_one_server_error_on_scim_me_is_retried_away(tmp_path: Path, env: dict[str, str], sdk: Any, workspace: Any) -> None:
    project = shop_project(tmp_path / "p")
    with FaultProxy(workspace.host, [Rule("GET", SCIM_ME, Status(502, html=True), last=1)]) as proxy:
        result = bundleops(["auth", "--target", "staging"], project, {**env, "DATABRICKS_HOST": proxy.host})
    output = assert_outcome(result, 0, sdk, project, secrets=(workspace.client_secret,))
    assert f"as service principal {workspace.client_id}" in output
    assert [fault.describe() for fault in proxy.injected] == ["GET /api/2.0/preview/scim/v2/Me: 502 html"]
