"""A plan of the checkout against the deployed state, read as drift: what changed in the workspace outside a deploy.

The direct engine's plan (`databricks bundle plan -o json`, plan_version 2) gives per field `old`
(the deployed state), `new` (this checkout) and `remote` (the workspace now). Read per resource:

- changed in the workspace: a field change the CLI would act on (not `skip`) that the checkout does
  not make (old == new) and whose `remote` differs from `old`: someone edited the resource outside a
  deploy (a UI edit; the CLI has already skipped backend defaults and empty values). Where the
  checkout changes the field too, `remote` is the API's whole value, defaults included (a task the
  checkout removes comes back with `run_if`, `timeout_seconds`, ...), so only a plain value (text,
  number) that was deployed, is set in the workspace and is neither is read as an edit; otherwise
  the field is "not deployed yet" only, and the next deploy sets it either way.
- deleted in the workspace: the CLI plans a resource that is in the state but gone remotely as a
  `create` with no `remote_state`, exactly like a resource new in the checkout
  (databricks/cli bundle/direct/bundle_plan.go). The target's history tells them apart: a `create`
  of a key the last successful deploy deployed is a deletion. A `delete` with `gone: true` (the
  checkout removed it too, and it is gone already) is a deletion as well.
- not deployed yet: what this checkout would change (old != new, new resources, removed ones):
  the next deploy's work, not drift.
- unknown: a `create` when the history has no deploy: it cannot be told apart. It is reported,
  and does not count as drift: a target deployed before its history existed, or never deployed
  by bundleops, would otherwise fail the scheduled check for every resource the default branch adds.

Child resources (`.permissions`, `.grants`) are classified like resources; a child of a resource
that is created or deleted goes with its parent and is not listed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from bundleops.preview.plan_json import BundlePlan, FieldChange, PlanEntry

CHANGED = "changed"
DELETED = "deleted"
PENDING = "pending"
UNKNOWN = "unknown"
KINDS = (CHANGED, DELETED, UNKNOWN, PENDING)  # the order a report lists them in
DRIFT = (CHANGED, DELETED)
TITLES = {
    CHANGED: "changed in the workspace",
    DELETED: "deleted in the workspace",
    UNKNOWN: "not in the workspace: new in the default branch, or deleted outside a deploy",
    PENDING: "not deployed yet (the checkout would change it; not drift)",
}
NO_HISTORY = "no deploy is in the target's history, so a resource missing from the workspace cannot be told from a new one"


@dataclass(frozen=True)
class Finding:
    """One resource's state of one kind. `fields` are the field changes that make it so: for CHANGED read
    old (deployed) -> remote (workspace now), for PENDING before -> new (this checkout)."""

    resource: str  # jobs.nightly, jobs.nightly.permissions
    kind: str
    action: str  # the plan's action for the resource
    note: str
    name: str | None = None
    fields: tuple[FieldChange, ...] = ()

    @property
    def drift(self) -> bool:
        return self.kind in DRIFT


@dataclass(frozen=True)
class Drift:
    findings: tuple[Finding, ...]
    history_known: bool  # the target's history has a successful deploy to compare creates with

    @property
    def drifted(self) -> bool:
        return any(finding.drift for finding in self.findings)

    def of(self, kind: str) -> tuple[Finding, ...]:
        return tuple(finding for finding in self.findings if finding.kind == kind)

    def counts(self) -> dict[str, int]:
        return {kind: len(self.of(kind)) for kind in KINDS}

    def drifted_resources(self) -> tuple[str, ...]:
        return tuple(sorted({finding.resource for finding in self.findings if finding.drift}))


def workspace_edit(change: FieldChange) -> bool:
    """A change the CLI acts on whose workspace value is not the deployed one (see the module's note)."""
    if change.action == "skip" or change.remote == change.old:
        return False
    if change.old == change.new:
        return True
    return all(value is not None and not isinstance(value, (dict, list)) for value in (change.old, change.remote))


def checkout_change(change: FieldChange) -> bool:
    return change.action != "skip" and change.old != change.new


def classify(plan: BundlePlan, deployed: Mapping[str, Mapping[str, Any]] | None) -> Drift:
    """The plan's findings; `deployed` is the last successful deploy's resources from the history
    ({kind: {key: {id, name}}}), None when the history has no deploy."""
    findings: list[Finding] = []
    created_or_deleted: set[str] = set()
    for entry in plan.entries:  # sorted by key: a parent comes before its children
        if entry.child and entry.key.rsplit(".", 1)[0] in created_or_deleted:
            continue
        if entry.action in ("create", "delete"):
            created_or_deleted.add(entry.key)
        findings += _findings(entry, deployed)
    return Drift(tuple(findings), history_known=deployed is not None)


def _findings(entry: PlanEntry, deployed: Mapping[str, Mapping[str, Any]] | None) -> list[Finding]:
    if entry.action == "create":
        return [_created(entry, deployed)]
    if entry.action == "delete":
        if entry.gone:
            return [Finding(entry.label, DELETED, entry.action, "deleted in the workspace outside a deploy (the checkout removes it too)", entry.name)]
        return [Finding(entry.label, PENDING, entry.action, "removed from the checkout: the next deploy deletes it", entry.name)]
    edits = tuple(change for change in entry.changes if workspace_edit(change))
    pending = tuple(change for change in entry.changes if checkout_change(change))
    found = []
    if edits:
        found.append(Finding(entry.label, CHANGED, entry.action, "edited in the workspace outside a deploy: the next deploy overwrites it", entry.name, edits))
    if pending or (entry.action not in ("skip", "") and not edits):
        found.append(Finding(entry.label, PENDING, entry.action, f"the checkout changes it ({entry.action})", entry.name, pending))
    return found


def _created(entry: PlanEntry, deployed: Mapping[str, Mapping[str, Any]] | None) -> Finding:
    if entry.child:
        return Finding(entry.label, PENDING, entry.action, "new in the checkout", entry.name)
    kind, _, key = entry.label.partition(".")
    if deployed is None:
        return Finding(entry.label, UNKNOWN, entry.action, NO_HISTORY, entry.name)
    if key in (deployed.get(kind) or {}):
        return Finding(entry.label, DELETED, entry.action, "deleted in the workspace outside a deploy: the last deploy made it", entry.name)
    return Finding(entry.label, PENDING, entry.action, "new in the checkout: the next deploy creates it", entry.name)
