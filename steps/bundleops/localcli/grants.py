"""Unity Catalog grants of a schema or volume: the plan's child resource `resources.<kind>.<key>.grants`.

As the real CLI's direct engine (bundle/direct/dresources/grants.go): the grants are one entry
whose value is `securable_type`, `full_name` (a `${resources.<kind>.<key>.id}` var until the
schema or volume exists) and `__embed__`, the assignments with each principal's privileges sorted
(or just `ALL_PRIVILEGES` when granted); they are read back with `GET
/api/2.1/unity-catalog/permissions/<type>/<full name>` and compared per principal
(`[principal='x'].privileges[0]`). Applying is one `PATCH` whose changes grant each principal its
privileges and remove `ALL_PRIVILEGES` (every other one), and remove `ALL_PRIVILEGES` from a
principal no longer declared. Deleting the grants sends nothing (the real CLI's DoDelete): they
go with their schema or volume.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bundleops.localcli import plan_diff
from bundleops.localcli.diagnostics import Diagnostics

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

SECURABLE = {"schemas": "schema", "volumes": "volume"}
ALL = "ALL_PRIVILEGES"
BASE = "/api/2.1/unity-catalog/permissions"


def _assignments_type() -> Any:
    from databricks.sdk.service.catalog import PrivilegeAssignment

    return list[PrivilegeAssignment]


RULES = plan_diff.Rules(_assignments_type, keyed_lists={"": "principal"})


def check(where: str, grants: Any, diagnostics: Diagnostics) -> None:
    """Each entry names one principal and a list of privileges (the shape the real CLI's schema requires)."""
    for number, entry in enumerate(grants if isinstance(grants, list) else [None]):
        if not (isinstance(entry, dict) and isinstance(entry.get("principal"), str) and isinstance(entry.get("privileges"), list)):
            diagnostics.error("grants entry must have a principal and a list of privileges", path=f"{where}.grants[{number}]")


def normalized(grants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Privileges sorted, a principal holding ALL_PRIVILEGES collapsed to it (normalizeAssignments)."""
    return [{"principal": entry["principal"], "privileges": [ALL] if ALL in entry["privileges"] else sorted(entry["privileges"])}
            for entry in grants]


def value(kind: str, full_name: str, grants: list[dict[str, Any]]) -> dict[str, Any]:
    return {"securable_type": SECURABLE[kind], "full_name": full_name, "__embed__": normalized(grants)}


def read(client: WorkspaceClient, kind: str, full_name: str) -> list[dict[str, Any]] | None:
    """The assignments as Unity Catalog answers them, or None when the schema or volume is gone."""
    from databricks.sdk.errors import NotFound

    try:
        answer = client.api_client.do("GET", f"{BASE}/{SECURABLE[kind]}/{full_name}")
    except NotFound:
        return None
    return normalized([entry for entry in answer.get("privilege_assignments") or [] if entry.get("principal")])


def apply(client: WorkspaceClient, desired: dict[str, Any], remote: list[dict[str, Any]] | None) -> None:
    declared = {entry["principal"] for entry in desired["__embed__"]}
    changes = [{"principal": entry["principal"], "add": entry["privileges"], **({} if ALL in entry["privileges"] else {"remove": [ALL]})}
               for entry in desired["__embed__"]]
    changes += [{"principal": principal, "remove": [ALL]} for principal in sorted({entry["principal"] for entry in remote or []} - declared)]
    client.api_client.do("PATCH", f"{BASE}/{desired['securable_type']}/{desired['full_name']}", body={"changes": changes})


def changes(saved: dict[str, Any], desired: dict[str, Any], remote: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return plan_diff.changes(saved.get("__embed__") or [], desired["__embed__"], remote, RULES)
