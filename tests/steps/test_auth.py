"""`bundleops auth` and the OAuth behaviour of the local workspace, through the real databricks-sdk."""

from __future__ import annotations

import time
import os
from pathlib import Path

import pytest
import requests

from tests.steps.project import bundleops, shop_project

pytestmark = pytest.mark.integration


def test_prints_the_service_principal_and_never_the_secret(tmp_path: Path, env: dict[str, str], local_workspace) -> None:  # noqa: ANN001
    result = bundleops(["auth", "--target", "staging"], shop_project(tmp_path / "p"), env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"as service principal {local_workspace.client_id} (bundleops-ci) (oauth-m2m)" in result.stdout + result.stderr
    assert local_workspace.client_secret not in result.stdout + result.stderr


def test_wrong_secret_is_bad_input_with_the_oauth_error(tmp_path: Path, env: dict[str, str]) -> None:
    env["DATABRICKS_CLIENT_SECRET"] = "dose-not-the-secret"
    result = bundleops(["auth", "--target", "staging"], shop_project(tmp_path / "p"), env)
    assert result.returncode == 2
    assert "invalid_client: Client authentication failed" in result.stdout + result.stderr
    assert "fix: check DATABRICKS_HOST and the credentials of DATABRICKS_AUTH_TYPE" in result.stdout + result.stderr
    assert "dose-not-the-secret" not in result.stdout + result.stderr


def test_a_closed_port_is_a_wrong_host_not_an_outage(tmp_path: Path, env: dict[str, str]) -> None:
    """Nothing listens at DATABRICKS_HOST: exit 2 at once naming it (an outage, exit 3 after the
    window, is a workspace that answers 503: tests/faults/test_exit_classes.py)."""
    env["DATABRICKS_HOST"] = "http://127.0.0.1:9"
    project = shop_project(tmp_path / "p", changes={"bundleops.yml": "auth:\n  retry_timeout_seconds: 3\n"})
    result = bundleops(["auth"], project, env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "DATABRICKS_HOST http://127.0.0.1:9 is not a workspace this runner can reach: nothing accepts connections there" in result.stdout + result.stderr


def test_ci_run_must_pin_the_auth_type(tmp_path: Path, env: dict[str, str]) -> None:
    """A stray DATABRICKS_TOKEN must never be what a CI run authenticates with."""
    del env["DATABRICKS_AUTH_TYPE"]
    env.update(GITLAB_CI="true", CI_PIPELINE_SOURCE="push", CI_COMMIT_BRANCH="feature/x", CI_DEFAULT_BRANCH="main", DATABRICKS_TOKEN="dapi-stray")
    result = bundleops(["auth", "--target", "dev"], shop_project(tmp_path / "p"), env)
    assert result.returncode == 2
    assert "DATABRICKS_AUTH_TYPE is not set on this gitlab run" in result.stdout + result.stderr
    assert "dapi-stray" not in result.stdout + result.stderr


def test_pinned_auth_type_wins_over_a_stray_token(tmp_path: Path, env: dict[str, str], local_workspace) -> None:  # noqa: ANN001
    env["DATABRICKS_TOKEN"] = local_workspace.user_token  # a person's token left in a variable group
    result = bundleops(["auth", "--target", "staging"], shop_project(tmp_path / "p"), env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"as service principal {local_workspace.client_id}" in result.stdout + result.stderr


def test_personal_token_is_refused_for_staging_and_allowed_for_dev(tmp_path: Path, env: dict[str, str], local_workspace) -> None:  # noqa: ANN001
    for name in ("DATABRICKS_CLIENT_ID", "DATABRICKS_CLIENT_SECRET"):
        del env[name]
    env.update(DATABRICKS_AUTH_TYPE="pat", DATABRICKS_TOKEN=local_workspace.user_token)
    project = shop_project(tmp_path / "p")
    refused = bundleops(["auth", "--target", "staging"], project, env)
    assert refused.returncode == 2
    assert "DATABRICKS_AUTH_TYPE=pat is a personal credential, and target staging accepts only a service principal" in refused.stdout + refused.stderr
    allowed = bundleops(["auth", "--target", "dev"], project, env)
    assert allowed.returncode == 0, allowed.stdout
    assert "as user dev.user@example.com (pat)" in allowed.stdout


def test_tokens_expire_and_the_sdk_refreshes_them(tmp_path: Path) -> None:
    from databricks.sdk import WorkspaceClient

    from bundleops.localworkspace import LocalWorkspace

    with LocalWorkspace(tmp_path / "lw", token_ttl_seconds=2) as workspace:
        token = requests.post(f"{workspace.host}/oidc/v1/token", data={"grant_type": "client_credentials", "scope": "all-apis"},
                              auth=(workspace.client_id, workspace.client_secret), timeout=10).json()
        assert token["token_type"] == "Bearer" and token["expires_in"] == 2
        me = f"{workspace.host}/api/2.0/preview/scim/v2/Me"
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        assert requests.get(me, headers=headers, timeout=10).status_code == 200
        client = WorkspaceClient(host=workspace.host, client_id=workspace.client_id, client_secret=workspace.client_secret, auth_type="oauth-m2m")
        assert client.current_user.me().user_name == workspace.client_id
        time.sleep(2.5)
        expired = requests.get(me, headers=headers, timeout=10)
        assert (expired.status_code, expired.json()["error_code"]) == (401, "UNAUTHENTICATED")
        assert "expired" in expired.json()["message"]
        assert client.current_user.me().user_name == workspace.client_id  # the SDK fetched a new token


def test_wrong_secret_gets_the_oauth_error_shape(local_workspace) -> None:  # noqa: ANN001
    response = requests.post(f"{local_workspace.host}/oidc/v1/token", data={"grant_type": "client_credentials"},
                             auth=(local_workspace.client_id, "wrong"), timeout=10)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client", "error_description": "Client authentication failed"}


def test_oidc_token_exchange_for_a_federated_identity(tmp_path: Path, local_workspace) -> None:  # noqa: ANN001
    """env-oidc (GitLab id_tokens, Bitbucket, Jenkins): the CI's JWT is exchanged for a workspace token."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config

    from bundleops.localworkspace import FederationPolicy
    from bundleops.localworkspace.identity import sign_hs256

    key = b"ci-identity-provider-key"
    issuer, subject = "https://gitlab.example.com", "project_path:data/shop:ref_type:branch:ref:main"
    local_workspace.add_federation_policy(FederationPolicy(local_workspace.client_id, issuer, "databricks", subject, key))
    claims = {"iss": issuer, "sub": subject, "aud": "databricks", "exp": int(time.time()) + 300}
    os.environ["SHOP_ID_TOKEN"] = sign_hs256(claims, key)
    try:
        config = Config(host=local_workspace.host, client_id=local_workspace.client_id, auth_type="env-oidc", oidc_token_env="SHOP_ID_TOKEN")
        client = WorkspaceClient(config=config)
        assert client.current_user.me().user_name == local_workspace.client_id
        os.environ["SHOP_ID_TOKEN"] = sign_hs256({**claims, "sub": "project_path:evil/fork:ref_type:branch:ref:main"}, key)
        refused = requests.post(f"{local_workspace.host}/oidc/v1/token", timeout=10, data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token": os.environ["SHOP_ID_TOKEN"],
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt", "client_id": local_workspace.client_id})
        assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    finally:
        del os.environ["SHOP_ID_TOKEN"]


def test_auth_with_a_ci_id_token_and_no_secret(tmp_path: Path, env: dict[str, str], local_workspace) -> None:  # noqa: ANN001
    """env-oidc as the GitLab template sets it up: an ID token in DATABRICKS_OIDC_TOKEN, no client secret."""
    from bundleops.localworkspace import FederationPolicy
    from bundleops.localworkspace.identity import sign_hs256

    key, issuer, subject = b"gitlab-key", "https://gitlab.example.com", "project_path:data/shop:ref_type:branch:ref:main"
    local_workspace.add_federation_policy(FederationPolicy(local_workspace.client_id, issuer, "databricks", subject, key))
    del env["DATABRICKS_CLIENT_SECRET"]
    token = sign_hs256({"iss": issuer, "sub": subject, "aud": "databricks", "exp": int(time.time()) + 300}, key)
    env.update(DATABRICKS_AUTH_TYPE="env-oidc", DATABRICKS_OIDC_TOKEN=token)
    result = bundleops(["auth", "--target", "staging"], shop_project(tmp_path / "p"), env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"as service principal {local_workspace.client_id} (bundleops-ci) (env-oidc)" in result.stdout
    assert token not in result.stdout + result.stderr
