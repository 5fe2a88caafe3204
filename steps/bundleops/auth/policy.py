"""Which credentials a step may use, decided before any call to Databricks.

The databricks CLI and databricks-sdk try auth methods in different orders, so in CI the auth
type is pinned with DATABRICKS_AUTH_TYPE: otherwise a stray DATABRICKS_TOKEN left in a CI
variable group could win over the service principal. A personal access token is a human's
credential and is allowed only for the targets `auth.allow_human_identity` names (dev).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from bundleops.config import ProjectConfig
from bundleops.context import CIContext
from bundleops.errors import BundleopsError

AUTH_TYPE_ENV = "DATABRICKS_AUTH_TYPE"
# Auth types for CI (databricks-sdk names): a service principal's secret, or OIDC federation.
SERVICE_PRINCIPAL_TYPES = ("oauth-m2m", "azure-client-secret", "github-oidc", "azure-devops-oidc", "env-oidc", "file-oidc")
HUMAN_TYPES = ("pat",)
_APPLICATION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


@dataclass(frozen=True)
class Identity:
    user_name: str
    display_name: str

    @property
    def is_service_principal(self) -> bool:
        """On Databricks a service principal's SCIM userName is its application id (a UUID)."""
        return bool(_APPLICATION_ID.match(self.user_name))

    def describe(self) -> str:
        kind = "service principal" if self.is_service_principal else "user"
        return f"{kind} {self.user_name}" + (f" ({self.display_name})" if self.display_name and self.display_name != self.user_name else "")

    @classmethod
    def of_bundle(cls, resolved: Mapping[str, Any]) -> Identity:
        """Who the CLI deploys as: `workspace.current_user` (SCIM Me) of a resolved bundle."""
        user = (resolved.get("workspace") or {}).get("current_user") or {}
        return cls(str(user.get("userName") or ""), str(user.get("displayName") or ""))


def check_auth_type(context: CIContext, target: str | None, config: ProjectConfig, environ: Mapping[str, str]) -> str | None:
    """The pinned auth type (None in a local shell that left it to the SDK); BundleopsError (exit 2) when not allowed."""
    auth_type = environ.get(AUTH_TYPE_ENV) or None
    every = SERVICE_PRINCIPAL_TYPES + HUMAN_TYPES
    if auth_type is None:
        if context.vendor != "local":
            raise BundleopsError(
                f"{AUTH_TYPE_ENV} is not set on this {context.vendor} run: the databricks CLI and SDK would each pick "
                "their own credentials from whatever variables are present, so a stray DATABRICKS_TOKEN could win",
                fix=f"set {AUTH_TYPE_ENV} to one of {', '.join(SERVICE_PRINCIPAL_TYPES)} (the bundleops templates set it)",
            )
        return None
    if auth_type not in every:
        raise BundleopsError(f"{AUTH_TYPE_ENV}={auth_type} is not an auth type bundleops supports", fix=f"use one of {', '.join(every)}")
    if auth_type in HUMAN_TYPES and target is not None and target not in config.auth.allow_human_identity:
        raise BundleopsError(
            f"{AUTH_TYPE_ENV}={auth_type} is a personal credential, and target {target} accepts only a service principal",
            fix=f"authenticate as the {target} service principal (oauth-m2m or OIDC federation), or add {target} to auth.allow_human_identity in bundleops.yml",
        )
    return auth_type


def check_identity(identity: Identity, target: str | None, config: ProjectConfig) -> None:
    if identity.is_service_principal or target is None or target in config.auth.allow_human_identity:
        return
    raise BundleopsError(
        f"the credentials belong to {identity.describe()}, and target {target} is deployed only by a service principal",
        fix=f"use the {target} service principal's credentials, or add {target} to auth.allow_human_identity in bundleops.yml",
    )
