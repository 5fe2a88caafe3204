"""Who may call the local workspace: service principals, users with personal access tokens,
federation policies for OIDC token exchange, and the OAuth access tokens it has issued.

Secrets and tokens are compared in constant time and never logged. Access tokens expire
(`token_ttl_seconds`), so the SDK's refresh path is exercised just as against a real workspace.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    """A workspace identity. For a service principal `user_name` is its application (client) id."""

    id: str
    user_name: str
    display_name: str
    is_service_principal: bool


@dataclass(frozen=True)
class FederationPolicy:
    """Accept an OIDC ID token (HS256-signed with `signing_key`) from `issuer` for `subject`.

    Real workspaces check RS256 signatures against the issuer's JWKS; the local workspace has no
    network to fetch one, so the test's identity provider shares a key instead.
    """

    client_id: str
    issuer: str
    audience: str
    subject: str
    signing_key: bytes


@dataclass
class _IssuedToken:
    principal: Principal
    expires_at: float


class TokenError(Exception):
    """Why a token request or a bearer token was refused (OAuth error code and description)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass
class Directory:
    token_ttl_seconds: int = 3600
    _secrets: dict[str, str] = field(default_factory=dict)  # client id -> secret
    _principals: dict[str, Principal] = field(default_factory=dict)  # user name -> principal
    _personal_tokens: dict[str, Principal] = field(default_factory=dict)
    _policies: list[FederationPolicy] = field(default_factory=list)
    _issued: dict[str, _IssuedToken] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_service_principal(self, display_name: str = "bundleops-ci") -> tuple[str, str]:
        """A new service principal; returns its (client id, client secret)."""
        client_id = str(uuid.uuid4())
        secret = "dose" + secrets.token_hex(16)
        with self._lock:
            self._secrets[client_id] = secret
            self._principals[client_id] = Principal(_scim_id(), client_id, display_name, True)
        return client_id, secret

    def add_user(self, user_name: str) -> str:
        """A workspace user; returns a personal access token for it."""
        token = "dapi" + secrets.token_hex(16)
        with self._lock:
            principal = self._principals.setdefault(user_name, Principal(_scim_id(), user_name, user_name, False))
            self._personal_tokens[token] = principal
        return token

    def add_federation_policy(self, policy: FederationPolicy) -> None:
        with self._lock:
            if policy.client_id not in self._principals:
                raise ValueError(f"no service principal {policy.client_id}")
            self._policies.append(policy)

    def principal(self, user_name: str) -> Principal:
        with self._lock:
            return self._principals[user_name]

    def client_credentials(self, client_id: str, client_secret: str) -> tuple[str, int]:
        expected = self._secrets.get(client_id)
        if expected is None or not hmac.compare_digest(expected, client_secret):
            raise TokenError("invalid_client", "Client authentication failed")
        return self._issue(self._principals[client_id])

    def exchange(self, subject_token: str, client_id: str | None, audience: str) -> tuple[str, int]:
        """RFC 8693 token exchange of an OIDC ID token for a workspace access token."""
        claims = _jwt_claims(subject_token)
        for policy in self._policies:
            if client_id and policy.client_id != client_id:
                continue
            if not _jwt_signature_ok(subject_token, policy.signing_key):
                continue
            if (claims.get("iss"), claims.get("sub")) != (policy.issuer, policy.subject):
                continue
            audiences = claims.get("aud") if isinstance(claims.get("aud"), list) else [claims.get("aud")]
            if policy.audience not in audiences and audience not in audiences:
                continue
            if float(claims.get("exp", 0)) < time.time():
                raise TokenError("invalid_grant", "The subject token has expired")
            return self._issue(self._principals[policy.client_id])
        raise TokenError("invalid_grant", "No federation policy accepts the subject token (issuer, subject, audience or signature)")

    def authenticate(self, bearer: str) -> Principal:
        with self._lock:
            if bearer in self._personal_tokens:
                return self._personal_tokens[bearer]
            issued = self._issued.get(bearer)
        if issued is None:
            raise TokenError("invalid_token", "Invalid access token.")
        if issued.expires_at <= time.time():
            raise TokenError("invalid_token", "Invalid access token: the token has expired.")
        return issued.principal

    def _issue(self, principal: Principal) -> tuple[str, int]:
        token = secrets.token_urlsafe(32)
        with self._lock:
            now = time.time()
            self._issued = {key: value for key, value in self._issued.items() if value.expires_at > now}
            self._issued[token] = _IssuedToken(principal, now + self.token_ttl_seconds)
        return token, self.token_ttl_seconds


def _scim_id() -> str:
    return str(secrets.randbelow(10**15) + 10**15)


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _jwt_claims(token: str) -> dict:
    try:
        _, payload, _ = token.split(".")
        claims = json.loads(_b64decode(payload))
    except ValueError as error:
        raise TokenError("invalid_request", "The subject token is not a JWT") from error
    if not isinstance(claims, dict):
        raise TokenError("invalid_request", "The subject token is not a JWT")
    return claims


def _jwt_signature_ok(token: str, key: bytes) -> bool:
    header, payload, signature = token.split(".")
    if json.loads(_b64decode(header)).get("alg") != "HS256":
        return False
    expected = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(expected, _b64decode(signature))


def sign_hs256(claims: dict, key: bytes) -> str:
    """An HS256 JWT, for a test identity provider that federates with the local workspace."""

    def encode(document: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()

    signing_input = f"{encode({'alg': 'HS256', 'typ': 'JWT'})}.{encode(claims)}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
