"""The JSON of `databricks bundle plan -o json`, read into typed values.

The format (databricks/cli bundle/deployplan, plan_version 2): `plan_version`, `cli_version`,
`lineage` and `serial` (the deployment state the plan was made against), and `plan` keyed by
resource (`resources.jobs.<key>`, child resources `resources.jobs.<key>.permissions`), each with
`action` (skip, resize, update, update_id, create, recreate, delete), `gone` (a delete of a
resource already gone remotely: state clean-up only), and `changes` keyed by field path
(`tasks[task_key='main'].notebook_task.notebook_path`) with `action`, `reason`, `old`, `new`,
`remote`. The terraform engine prints only `cli_version` and each resource's `action`: no
`plan_version`, which is how a plan says which engine made it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable

from bundleops.errors import BundleopsError, ExitCode

# Actions in increasing severity, as the CLI orders them.
ACTIONS = ("skip", "resize", "update", "update_id", "create", "recreate", "delete")
DESTRUCTIVE_ACTIONS = ("recreate", "delete")
# The resources the direct engine plans under another resource's key.
CHILD_RESOURCES = ("permissions", "grants")


@dataclass(frozen=True)
class FieldChange:
    path: str
    action: str
    reason: str | None = None
    old: Any = None
    new: Any = None
    remote: Any = None

    @property
    def before(self) -> Any:
        """The value a reviewer compares with `new`: the deployed one (`old`), or the workspace's own when a field goes away."""
        return self.old if self.old is not None or self.new is not None else self.remote


@dataclass(frozen=True)
class PlanEntry:
    key: str
    action: str
    gone: bool = False
    changes: tuple[FieldChange, ...] = ()
    name: str | None = None  # the resource's `name`, as configured (new state) or as deployed (remote state)

    @property
    def label(self) -> str:
        """`jobs.nightly` for `resources.jobs.nightly`, as the CLI prints it."""
        return self.key.removeprefix("resources.")

    @property
    def child(self) -> bool:
        """A resource of a resource (`resources.jobs.<key>.permissions`, `.grants`): access settings, not
        data. Named by its last part: a key the bundle chose may itself hold dots, and must not make a
        job's recreate look like a permissions change."""
        return self.key.count(".") >= 3 and self.key.rsplit(".", 1)[1] in CHILD_RESOURCES

    @property
    def destructive(self) -> bool:
        """A delete or recreate that removes something in the workspace: not a `gone` delete (it only cleans
        the state), nor a child resource's (removing a job's permissions object takes no data with it)."""
        return self.action in DESTRUCTIVE_ACTIONS and not self.gone and not self.child

    def shown_changes(self) -> tuple[FieldChange, ...]:
        """The field changes a reviewer needs: the CLI's `skip` entries are defaults and empty values it ignores."""
        return tuple(change for change in self.changes if change.action != "skip")

    def why(self, show: Callable[[str], str] = str) -> str:
        """Why a destructive action happens, from the plan's own reasons; `show` writes a field's
        path (the bundle's own text) for where the line goes."""
        if self.action == "delete":
            return "already gone remotely, only removed from the state" if self.gone else "removed from the bundle configuration"
        fields = [show(change.path) + (f" ({change.reason})" if change.reason else "") for change in self.changes if change.action == "recreate"]
        return "changes a field that cannot be updated in place: " + ", ".join(fields) if fields else "the CLI must create it again"


@dataclass(frozen=True)
class BundlePlan:
    entries: tuple[PlanEntry, ...]
    cli_version: str | None = None
    plan_version: int | None = None
    lineage: str | None = None
    serial: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def engine(self) -> str:
        """`direct` or `terraform`: only the direct engine writes plan_version (CLI >= 0.284)."""
        return "direct" if self.plan_version is not None else "terraform"

    def counts(self) -> dict[str, int]:
        """The CLI's own tally (`Plan: N to add, N to change, N to delete, N unchanged`): a recreate is an add and a delete."""
        tally = {"add": 0, "change": 0, "delete": 0, "unchanged": 0}
        for entry in self.entries:
            if entry.action in ("create", "recreate"):
                tally["add"] += 1
            if entry.action in ("delete", "recreate"):
                tally["delete"] += 1
            if entry.action in ("update", "update_id", "resize"):
                tally["change"] += 1
            if entry.action in ("skip", ""):
                tally["unchanged"] += 1
        return tally

    def per_action(self) -> dict[str, int]:
        """How many resources get each action, in the CLI's order of severity."""
        found = {action: sum(1 for entry in self.entries if entry.action == action) for action in ACTIONS}
        return {action: count for action, count in found.items() if count}

    def changed(self) -> tuple[PlanEntry, ...]:
        """Resources the deploy touches, most severe first, then by key."""
        order = {action: index for index, action in enumerate(ACTIONS)}
        return tuple(sorted((entry for entry in self.entries if entry.action not in ("skip", "")), key=lambda entry: (-order.get(entry.action, 0), entry.key)))

    def destructive(self) -> tuple[PlanEntry, ...]:
        return tuple(entry for entry in self.changed() if entry.destructive)


def parse(text: str, source: str, *, code: ExitCode = ExitCode.EXTERNAL_FAILURE) -> BundlePlan:
    """The plan in text, from `source` (the CLI: exit 3 when it printed no plan; a plan file given: exit 2)."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise _not_a_plan(source, f"not JSON ({error})", code) from error
    if not isinstance(document, dict) or not isinstance(document.get("plan", {}), dict):
        raise _not_a_plan(source, "no `plan` object", code)
    entries = tuple(_entry(key, value) for key, value in sorted(document.get("plan", {}).items()) if isinstance(value, dict))
    serial = document.get("serial")
    return BundlePlan(
        entries=entries,
        cli_version=document.get("cli_version"),
        plan_version=document.get("plan_version"),
        lineage=document.get("lineage"),
        serial=serial if isinstance(serial, int) else None,
        raw=document,
    )


def _name(value: dict[str, Any]) -> str | None:
    for state in ((value.get("new_state") or {}).get("value"), value.get("remote_state")):
        if isinstance(state, dict) and isinstance(state.get("name"), str):
            return state["name"]
    return None


def _entry(key: str, value: dict[str, Any]) -> PlanEntry:
    changes = value.get("changes") or {}
    return PlanEntry(
        key=key,
        action=str(value.get("action") or ""),
        gone=bool(value.get("gone")),
        changes=tuple(
            FieldChange(path, str(change.get("action") or ""), change.get("reason"), change.get("old"), change.get("new"), change.get("remote"))
            for path, change in sorted(changes.items())
            if isinstance(change, dict)
        ),
        name=_name(value),
    )


def _not_a_plan(source: str, what: str, code: ExitCode) -> BundleopsError:
    return BundleopsError(
        f"{source} is not a `databricks bundle plan -o json` plan: {what}",
        fix="make the plan with `databricks bundle plan -t <target> -o json > FILE` (bundleops preview writes test-results/bundle-plan.json)",
        code=code,
    )
