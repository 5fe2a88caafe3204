"""A job's or pipeline's permissions as the real CLI resolves them before it shows or deploys them.

The real CLI's FixPermissions (bundle/config/mutator/resourcemutator/fix_permissions.go):
the deployer gets IS_OWNER (its CAN_MANAGE is upgraded in place, else an IS_OWNER entry is
appended) unless someone already owns the resource, in which case it gets CAN_MANAGE; then every
principal keeps one entry, at its first position, with the highest level it was given. So
`validate -o json` shows what deploy sends (acceptance validate/permissions). Deploy sends them
with `PUT /api/2.0/permissions/<jobs|pipelines>/<id>`.

Before that, the top-level `permissions` join each resource's own as the real CLI's
ApplyBundlePermissions does, and its PermissionDiagnostics recommends naming the deployer there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bundleops.localcli.diagnostics import Diagnostics
from bundleops.localcli.user import is_service_principal

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

# The job and pipeline levels in the real CLI's order (bundle/config/resources/permission.go PermissionOrder).
LEVEL_ORDER = ("CAN_VIEW", "CAN_RUN", "CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER")
PRINCIPAL_KEYS = ("user_name", "service_principal_name", "group_name")
# How the real CLI names each kind of principal in its overlap warning.
PRINCIPAL_WORDS = {"group_name": "group", "user_name": "user name", "service_principal_name": "service principal name"}


def _rank(level: str) -> tuple[int, str]:
    return (LEVEL_ORDER.index(level) if level in LEVEL_ORDER else -1, level)


def _principal(entry: dict[str, Any]) -> tuple[str, str] | None:
    return next(((key, str(entry[key])) for key in PRINCIPAL_KEYS if entry.get(key)), None)


def _with_owner(entries: list[dict[str, Any]], deployer: str) -> list[dict[str, Any]]:
    def names_deployer(entry: dict[str, Any]) -> bool:
        return deployer in (entry.get("user_name"), entry.get("service_principal_name"))

    if any(entry.get("level") == "IS_OWNER" and names_deployer(entry) for entry in entries):
        return entries
    owned = any(entry.get("level") == "IS_OWNER" for entry in entries)
    manages = next((number for number, entry in enumerate(entries) if names_deployer(entry) and entry.get("level") == "CAN_MANAGE"), None)
    if not owned and manages is not None:
        return [*entries[:manages], {**entries[manages], "level": "IS_OWNER"}, *entries[manages + 1:]]
    if owned and manages is not None:
        return entries
    owner_key = "service_principal_name" if is_service_principal(deployer) else "user_name"
    return [*entries, {"level": "CAN_MANAGE" if owned else "IS_OWNER", owner_key: deployer}]


def resolve(entries: list[dict[str, Any]], deployer: str) -> list[dict[str, Any]]:
    """The permissions a job is shown and deployed with: the deployer's ownership, one level per principal."""
    highest: dict[tuple[str, str], str] = {}
    for entry in _with_owner(entries, deployer):
        principal = _principal(entry)
        level = entry.get("level")
        if principal is None or not level:
            continue
        current = highest.get(principal)
        highest[principal] = level if current is None or _rank(level) >= _rank(current) else current
    return [{"level": level, key: value} for (key, value), level in highest.items()]


def access_control_list(resource: dict[str, Any], deployer: str) -> list[dict[str, str]]:
    """The resource's resolved permissions in the Permissions API's shape (`level` is `permission_level`)."""
    return [
        {**{key: value for key, value in entry.items() if key != "level"}, "permission_level": entry["level"]}
        for entry in resolve(resource.get("permissions") or [], deployer)
    ]


def put(client: WorkspaceClient, kind: str, resource_id: str, acl: list[dict[str, str]]) -> None:
    client.api_client.do("PUT", f"/api/2.0/permissions/{kind}/{resource_id}", body={"access_control_list": acl})


def with_bundle_permissions(declared: list[dict[str, Any]], bundle_wide: list[dict[str, Any]], diagnostics: Diagnostics,
                            kind: str = "jobs") -> list[dict[str, Any]]:
    """The resource's own permissions, then each top-level one (already at the kind's level) whose
    principal the resource does not name. A principal it names keeps its own level only, with the
    real CLI's warning for each of its entries naming it (acceptance validate/permissions_overlap;
    resourcemutator/apply_bundle_permissions.go `isPermissionOverlap`)."""
    added = []
    for entry in bundle_wide:
        overlaps = [
            (key, str(own[key]))
            for own in declared
            for key in PRINCIPAL_WORDS
            if isinstance(own, dict) and own.get(key) and own.get(key) == entry.get(key)
        ]
        for key, name in overlaps:
            diagnostics.warning(f"'{kind}' already has permissions set for '{name}' {PRINCIPAL_WORDS[key]}")
        if not overlaps:
            added.append(entry)
    return [*declared, *added]


def deployer_recommendation(bundle_wide: Any, deployer: str, diagnostics: Diagnostics) -> None:
    """Top-level permissions that do not give the deployer CAN_MANAGE: the real CLI's recommendation
    (bundle/permissions/permission_diagnostics.go), located at `permissions`. The deployer's groups
    are not looked up (the local workspace has none), so a group's CAN_MANAGE does not count."""
    if not isinstance(bundle_wide, list) or not bundle_wide:
        return
    if any(isinstance(entry, dict) and entry.get("level") == "CAN_MANAGE" and deployer in (entry.get("user_name"), entry.get("service_principal_name")) for entry in bundle_wide):
        return
    kind = "service_principal_name" if is_service_principal(deployer) else "user_name"
    diagnostics.recommendation(
        f"permissions section should explicitly include the current deployment identity '{deployer}' or one of its groups\n"
        "If it is not included, CAN_MANAGE permissions are only applied if the present identity is used to deploy.\n\n"
        "Consider using a adding a top-level permissions section such as the following:\n\n"
        "  permissions:\n"
        f"    - {kind}: {deployer}\n"
        "      level: CAN_MANAGE\n\n"
        "See https://docs.databricks.com/dev-tools/bundles/permissions.html to learn more about permission configuration.",
        locate="permissions",
    )
