"""Discovery and the token endpoint, in the shapes databricks-sdk reads.

The SDK first asks `/.well-known/databricks-config` for the OIDC root, then the OAuth metadata
under it, then posts to `/oidc/v1/token`: client credentials with HTTP Basic auth (oauth-m2m), or
an RFC 8693 token exchange with the client id in the form (OIDC federation). Failures use the
OAuth error shape (`error`, `error_description`), which is what the SDK turns into its message.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl

from bundleops.localworkspace.http import Request, Response, Route
from bundleops.localworkspace.identity import Directory, TokenError

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
WORKSPACE_ID = "1234567890123456"


def routes(directory: Directory, host: str) -> list[Route]:
    def databricks_config(_: Request) -> Response:
        return Response(body={"oidc_endpoint": f"{host}/oidc", "workspace_id": WORKSPACE_ID})

    def authorization_server(_: Request) -> Response:
        return Response(body={
            "issuer": f"{host}/oidc",
            "authorization_endpoint": f"{host}/oidc/v1/authorize",
            "token_endpoint": f"{host}/oidc/v1/token",
            "grant_types_supported": ["client_credentials", TOKEN_EXCHANGE],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        })

    def token(request: Request) -> Response:
        form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
        try:
            access_token, ttl = _grant(directory, request, form, audience=f"{host}/oidc/v1/token")
        except TokenError as error:
            status = 401 if error.error == "invalid_client" else 400
            return Response(status, {"error": error.error, "error_description": error.description})
        return Response(body={"access_token": access_token, "token_type": "Bearer", "expires_in": ttl, "scope": form.get("scope", "all-apis")})

    return [
        Route("GET", r"/\.well-known/databricks-config", databricks_config, public=True),
        Route("GET", r"/oidc/\.well-known/oauth-authorization-server", authorization_server, public=True),
        Route("POST", r"/oidc/v1/token", token, public=True),
    ]


def _grant(directory: Directory, request: Request, form: dict[str, str], audience: str) -> tuple[str, int]:
    grant_type = form.get("grant_type")
    if grant_type == "client_credentials":
        client_id, secret = _basic_credentials(request) or (form.get("client_id", ""), form.get("client_secret", ""))
        return directory.client_credentials(client_id, secret)
    if grant_type == TOKEN_EXCHANGE:
        if form.get("subject_token_type") != "urn:ietf:params:oauth:token-type:jwt":
            raise TokenError("unsupported_token_type", "the local workspace exchanges only JWT subject tokens")
        return directory.exchange(form.get("subject_token", ""), form.get("client_id"), audience)
    raise TokenError("unsupported_grant_type", f"grant_type {grant_type!r} is not supported by the local workspace")


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    header = request.header("Authorization") or ""
    if not header.startswith("Basic "):
        return None
    try:
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise TokenError("invalid_client", "Client authentication failed") from None
    return client_id, secret
