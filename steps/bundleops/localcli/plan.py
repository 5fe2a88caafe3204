"""`bundle plan [-o json]` and the plan `bundle deploy [--plan FILE]` applies, for every kind in kinds.py.

The same document as the real CLI's direct engine (databricks/cli `bundle/deployplan/plan.go`,
`plan_version` 2): `cli_version`, the state's `lineage` and `serial` (left out before the first
deploy), and per resource key (`resources.<kind>.<key>`, and the children `.permissions` of a
job or pipeline and `.grants` of a schema or volume) `depends_on` (`${resources.<kind>.<key>.id}`
references, and a volume's or pipeline's schema when the bundle defines it, labelled
`${resources.schemas.<key>.name}` as the real CLI's captureUCDependencies makes it), `action` (create / update / update_id / recreate / delete /
skip, from the kind's rules: jobs are never recreated, a schema is when its name or catalog
changes), `gone`, `new_state` (`value`, and `vars` for `${resources.<kind>.<key>.id}` references
to resources not created yet), `remote_state` (the resource as its API reads it back) and
`changes` (plan_diff). Planning only reads: the state files and one read per resource the state
knows. Job and pipeline permissions are planned from the state alone (the stand-in does not read
them back), so their entries have no `remote_state`; grants are read back (grants.py).
A saved plan is applied only if the state is still the one it was computed from (same lineage
and serial), with the real CLI's messages (`bundle/direct/bundle_plan.go`
ValidatePlanAgainstState, `cmd/bundle/utils/process.go`).
"""

from __future__ import annotations

import copy
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bundleops.localcli import VERSION, artifacts, cycles, grants, interpolation, kinds, libraries, permissions, plan_diff
from bundleops.localcli.diagnostics import CliError, Diagnostics

if TYPE_CHECKING:
    from bundleops.localcli.context import Context
    from bundleops.localcli.state import DeploymentState

PLAN_VERSION = 2
PERMISSIONS = ("jobs", "pipelines")  # the kinds with a `.permissions` child
UC_PARENTS = {"volumes": ("catalog_name", "schema_name"), "pipelines": ("catalog", "schema"), "schemas": ()}
DESTRUCTIVE = ("recreate", "delete")
TERRAFORM_REFUSAL = '--plan is only supported with direct engine (set bundle.engine to "direct" or DATABRICKS_BUNDLE_ENGINE=direct)'


@dataclass
class Entry:
    action: str
    depends_on: list[dict[str, str]] = field(default_factory=list)
    gone: bool = False
    new_state: dict[str, Any] | None = None
    remote_state: dict[str, Any] | None = None
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The fields in the Go struct's order, each left out when empty (`omitempty`)."""
        document: dict[str, Any] = {}
        if self.depends_on:
            document["depends_on"] = self.depends_on
        document["action"] = self.action
        if self.gone:
            document["gone"] = True
        if self.new_state is not None:
            document["new_state"] = self.new_state
        if self.remote_state is not None:
            document["remote_state"] = self.remote_state
        if self.changes:
            document["changes"] = self.changes
        return document

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Entry:
        return cls(action=str(document.get("action", "")), depends_on=list(document.get("depends_on") or []),
                   gone=bool(document.get("gone")), new_state=document.get("new_state"),
                   remote_state=document.get("remote_state"), changes=dict(document.get("changes") or {}))


@dataclass
class Plan:
    lineage: str = ""
    serial: int = 0
    entries: dict[str, Entry] = field(default_factory=dict)
    cli_version: str = VERSION

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"plan_version": PLAN_VERSION, "cli_version": self.cli_version}
        if self.lineage:
            document["lineage"] = self.lineage
        if self.serial:
            document["serial"] = self.serial
        document["plan"] = {key: self.entries[key].to_json() for key in sorted(self.entries)}
        return document

    def terraform_json(self) -> dict[str, Any]:
        """The terraform engine's document: `cli_version`, and per resource key (children too) its `action` only
        (no plan_version, state, values or field changes; the real CLI's out.plan*.terraform.json recordings)."""
        return {"cli_version": self.cli_version, "plan": {key: {"action": self.entries[key].action} for key in sorted(self.entries)}}

    def counts(self) -> dict[str, int]:
        """add / change / delete / unchanged, as CountActions: a recreate is one add and one delete."""
        counts = {"add": 0, "change": 0, "delete": 0, "unchanged": 0}
        for entry in self.entries.values():
            if entry.action in ("create", "recreate"):
                counts["add"] += 1
            if entry.action in ("delete", "recreate"):
                counts["delete"] += 1
            if entry.action in ("update", "update_id", "resize"):
                counts["change"] += 1
            if entry.action in ("skip", ""):
                counts["unchanged"] += 1
        return counts

    def actions(self) -> list[tuple[str, str]]:
        """(resource key without `resources.`, action) of every entry that does something, in key order."""
        return [(key.removeprefix("resources."), self.entries[key].action) for key in sorted(self.entries)
                if self.entries[key].action not in ("skip", "")]

    def text(self) -> str:
        counts = self.counts()
        lines = [f"{action.split('_')[0]} {key}" for key, action in self.actions()]
        head = "\n".join(lines) + "\n\n" if counts["add"] + counts["change"] + counts["delete"] else ""
        return head + f"Plan: {counts['add']} to add, {counts['change']} to change, {counts['delete']} to delete, {counts['unchanged']} unchanged\n"


def _sorted(value: Any) -> Any:
    """Keys in order, as Go marshals the maps of `new_state` and `remote_state`."""
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


def _unresolved(value: Any, where: str, found: dict[str, str]) -> Any:
    """Strings still holding a `${resources...}` reference go to `vars`; a job id there is 0 meanwhile."""
    if isinstance(value, dict):
        return {key: _unresolved(item, f"{where}.{key}" if where else key, found) for key, item in value.items()}
    if isinstance(value, list):
        return [_unresolved(item, f"{where}[{number}]", found) for number, item in enumerate(value)]
    if isinstance(value, str) and "${resources." in value:
        found[where] = value
        return 0 if where.endswith(".job_id") and interpolation.REFERENCE.fullmatch(value) else value
    return value


def _schema_of(kind: str, resource: dict[str, Any], schemas: dict[str, Any]) -> dict[str, str]:
    """The bundle's schema a volume or pipeline writes into (matched by catalog and schema name), as a dependency."""
    fields = UC_PARENTS.get(kind)
    if not fields:
        return {}
    catalog_name, schema_name = resource.get(fields[0]), resource.get(fields[1]) or (resource.get("target") if kind == "pipelines" else None)
    for key, schema in sorted(schemas.items()):
        if isinstance(schema, dict) and schema_name and (schema.get("catalog_name"), schema.get("name")) == (catalog_name, schema_name):
            return {f"resources.schemas.{key}": f"${{resources.schemas.{key}.name}}"}
    return {}


def _depends_on(kind: str, resource: dict[str, Any], schemas: dict[str, Any]) -> list[dict[str, str]]:
    nodes = _schema_of(kind, resource, schemas)
    for reference in sorted(interpolation.references_in(resource)):
        if interpolation.is_resource_id(reference):
            node = reference.rsplit(".", 1)[0]
            nodes.setdefault(node, f"${{{reference}}}")
    return [{"node": node, "label": label} for node, label in sorted(nodes.items())]


def _new_state(settings: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, str] = {}
    value = _unresolved(_sorted(settings), "", found)
    return {"value": value, "vars": found} if found else {"value": value}


def _embedded_acl(acl: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"level": entry["permission_level"], **{key: value for key, value in entry.items() if key != "permission_level"}} for entry in acl]


def acl_of(embedded: list[dict[str, str]]) -> list[dict[str, str]]:
    """A permissions entry's `__embed__` back to the access control list the API takes."""
    return [{**{key: value for key, value in entry.items() if key != "level"}, "permission_level": entry["level"]} for entry in embedded]


def _permissions_entry(context: Context, deployed: DeploymentState, kind: str, key: str, resource: dict[str, Any], action: str) -> Entry | None:
    """A job's or pipeline's `.permissions` child, planned from the state alone."""
    node = f"resources.{kind}.{key}"
    saved = deployed.resources.get(f"{node}.permissions")
    if not resource.get("permissions") and saved is None:
        return None  # the real CLI has no permissions resource for a resource that declares none
    acl = permissions.access_control_list(resource, context.user_name)
    entry = Entry(action="skip", depends_on=[{"node": node, "label": f"${{{node}.id}}"}])
    if action in ("create", "recreate") or saved is None:
        entry.action = "create"
    elif saved.get("state") != acl:
        entry.action = "update"
    if entry.action != "skip":
        resource_id = deployed.ids(kind).get(key, "") if action not in ("create", "recreate") else ""
        entry.new_state = {"value": {"object_id": f"/{kind}/{resource_id}" if resource_id else "", "__embed__": _embedded_acl(acl)}}
        if not resource_id:
            entry.new_state["vars"] = {"object_id": f"/{kind}/${{{node}.id}}"}
    return entry


def _grants_entry(context: Context, deployed: DeploymentState, kind: str, key: str, resource: dict[str, Any], parent: Entry) -> Entry | None:
    """The schema's or volume's `.grants` child: created with its parent, else compared with the grants read back."""
    node = f"resources.{kind}.{key}"
    saved = deployed.resources.get(f"{node}.grants")
    depends_on = [{"node": node, "label": f"${{{node}.id}}"}]
    if not resource.get("grants"):
        return Entry(action="delete", depends_on=depends_on) if saved is not None else None
    parent_id = deployed.ids(kind).get(key) if parent.action not in ("create", "recreate", "update_id") else None
    wanted = grants.value(kind, parent_id or "", resource["grants"])
    new_state = {"value": wanted} if parent_id else {"value": wanted, "vars": {"full_name": f"${{{node}.id}}"}}
    if saved is None or parent_id is None:
        return Entry(action="create", depends_on=depends_on, new_state=new_state)
    remote = grants.read(context.client, kind, parent_id) or []
    changes = grants.changes(saved.get("state") or {}, wanted, remote)
    action = plan_diff.action_of(changes)
    return Entry(action=action, depends_on=depends_on, new_state=new_state if action != "skip" else None,
                 remote_state=grants.value(kind, parent_id, remote), changes=changes)


def _entry(kind: kinds.Kind, deployed: DeploymentState, key: str, desired: dict[str, Any], depends_on: list[dict[str, str]],
           remote: dict[str, Any] | None) -> Entry:
    saved = deployed.settings(kind.name, key)
    if saved is None or remote is None:
        return Entry(action="create", depends_on=depends_on, new_state=_new_state(desired))
    changes = plan_diff.changes(saved, desired, kind.remote_settings(remote), kind.rules)
    action = plan_diff.action_of(changes)
    return Entry(action=action, depends_on=depends_on, new_state=_new_state(desired) if action != "skip" else None,
                 remote_state=_sorted(kind.remote_state(remote)), changes=changes)


def configured(config: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return (config.get("resources") or {}).get(kind) or {}


def _plan_configured(context: Context, deployed: DeploymentState, plan: Plan, resolved: dict[str, Any], kind: str, key: str,
                     remote: dict[str, Any] | None) -> None:
    """The entries of one configured resource (`resolved`: the configuration with the known ids) and its children."""
    resource = configured(resolved, kind)[key]
    desired = kinds.KINDS[kind].api_settings(resource, context.bundle.workspace["state_path"])
    entry = _entry(kinds.KINDS[kind], deployed, key, desired, _depends_on(kind, resource, configured(resolved, "schemas")), remote)
    plan.entries[f"resources.{kind}.{key}"] = entry
    children = {
        "permissions": _permissions_entry(context, deployed, kind, key, configured(context.bundle.config, kind)[key], entry.action) if kind in PERMISSIONS else None,
        "grants": _grants_entry(context, deployed, kind, key, resource, entry) if kind in grants.SECURABLE else None,
    }
    plan.entries.update({f"resources.{kind}.{key}.{child}": planned for child, planned in children.items() if planned is not None})


def _plan_deleted(deployed: DeploymentState, plan: Plan, kind: kinds.Kind, key: str, remote: dict[str, Any] | None) -> None:
    """A resource the state knows and the configuration no longer has: a delete (`gone` if already gone), with its children."""
    node = f"resources.{kind.name}.{key}"
    plan.entries[node] = Entry(action="delete", gone=remote is None, remote_state=_sorted(kind.remote_state(remote)) if remote is not None else None)
    for child in ("permissions", "grants"):
        if f"{node}.{child}" in deployed.resources:
            plan.entries[f"{node}.{child}"] = Entry(action="delete", depends_on=[{"node": node, "label": f"${{{node}.id}}"}])


def compute(context: Context, deployed: DeploymentState) -> Plan:
    """The plan of the configuration against the state and the resources as they are now (reads only)."""
    bundle = context.bundle
    known = {kind: deployed.ids(kind) for kind in kinds.ORDER}
    remotes = {(kind, key): kinds.KINDS[kind].read(context.client, ids[key]) for kind, ids in known.items() for key in sorted(ids)}
    alive = {f"resources.{kind}.{key}.id": known[kind][key] for (kind, key), remote in remotes.items()
             if remote is not None and key in configured(bundle.config, kind)}
    config = copy.deepcopy(bundle.config)
    interpolation.resolve(config, Diagnostics(), alive)  # errors were reported when the bundle loaded
    plan = Plan(lineage=deployed.lineage if deployed.serial else "", serial=deployed.serial)
    for kind in kinds.ORDER:
        for key in sorted(configured(bundle.config, kind)):
            _plan_configured(context, deployed, plan, config, kind, key, remotes.get((kind, key)))
        for key in sorted(set(known[kind]) - set(configured(bundle.config, kind))):
            _plan_deleted(deployed, plan, kinds.KINDS[kind], key, remotes[(kind, key)])
    loop = cycles.find({resource: entry.depends_on for resource, entry in plan.entries.items() if entry.action != "delete"})
    if loop:
        raise CliError(loop)
    return plan


def print_plan(context: Context, output: str) -> int:
    """`bundle plan`: the text summary or the JSON document on stdout; diagnostics on stderr."""
    from bundleops.localcli import state

    bundle = context.bundle
    bundle.diagnostics.print(sys.stderr)
    if bundle.diagnostics.has_errors:
        return 1
    built = artifacts.build(bundle.config, bundle.root, lambda text: print(text, file=sys.stderr))
    libraries.point_at_remote(libraries.expand(bundle.jobs, bundle.sync_root, built), bundle.workspace["artifact_path"])
    computed = compute(context, state.load(context.client, bundle.workspace["state_path"]))
    document = computed.terraform_json() if terraform_engine(bundle.config, os.environ) else computed.to_json()
    sys.stdout.write(json.dumps(document, indent=2) + "\n" if output == "json" else computed.text())
    return 0


def check_prevent_destroy(plan: Plan, config: dict[str, Any]) -> None:
    """The real CLI's refusal (bundle/phases/plan.go) to delete or recreate a resource with `lifecycle.prevent_destroy: true`."""
    errors = []
    for resource, entry in sorted(plan.entries.items()):
        parts = resource.split(".")
        if entry.action not in DESTRUCTIVE or entry.gone or len(parts) != 3:
            continue
        if ((configured(config, parts[1]).get(parts[2]) or {}).get("lifecycle") or {}).get("prevent_destroy") is True:
            errors.append(f"{resource} has lifecycle.prevent_destroy set, but the plan calls for this resource to be recreated or destroyed. "
                          f"To avoid this error, disable lifecycle.prevent_destroy for {resource}")
    if errors:
        raise CliError("\n".join(errors))


def _go_json_error(text: str, error: json.JSONDecodeError) -> str:
    """Go's encoding/json wording for the common case: a file that is not JSON at all."""
    stripped = text.lstrip()
    if not stripped:
        return "EOF"
    if stripped[0] not in '{["-0123456789tfn':
        return f"invalid character '{stripped[0]}' looking for beginning of value"
    return error.msg


def load(path_text: str, cwd: Path) -> Plan:
    """Read a saved plan as LoadPlanFromFile does: unknown fields and another plan_version are errors."""
    try:
        text = (cwd / path_text).read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise CliError(f"reading plan file: open {path_text}: no such file or directory") from error
    except OSError as error:
        raise CliError(f"reading plan file: open {path_text}: {error.strerror}") from error
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CliError(f"parsing plan JSON: {_go_json_error(text, error)}") from error
    if not isinstance(document, dict):
        raise CliError("parsing plan JSON: json: cannot unmarshal array into Go value of type deployplan.Plan")
    unknown = sorted(set(document) - {"plan_version", "cli_version", "lineage", "serial", "plan", "not_selected"})
    if unknown:
        raise CliError(f'parsing plan JSON: json: unknown field "{unknown[0]}"')
    version = document.get("plan_version", 0)
    if version != PLAN_VERSION:
        raise CliError(f'plan version mismatch: plan has version {version} (generated with CLI "{document.get("cli_version", "")}"), but current version is {PLAN_VERSION}')
    entries = {str(key): Entry.from_json(value) for key, value in (document.get("plan") or {}).items()}
    return Plan(lineage=str(document.get("lineage") or ""), serial=int(document.get("serial") or 0), entries=entries,
                cli_version=str(document.get("cli_version") or ""))


def check_against_state(plan: Plan, deployed: DeploymentState) -> None:
    """Refuse a plan computed from another state; a plan without lineage (first deploy) is not checked."""
    if plan.cli_version != VERSION:
        sys.stderr.write(f"Warn: Plan was created with CLI version {plan.cli_version} but current version is {VERSION}\n")
    if not plan.lineage:
        return
    lineage = deployed.lineage if deployed.serial else ""
    if plan.lineage != lineage:
        raise CliError(f'plan lineage "{plan.lineage}" does not match state lineage "{lineage}"; the state may have been modified by another process')
    if plan.serial != deployed.serial:
        raise CliError(f"plan serial {plan.serial} does not match state serial {deployed.serial}; "
                       "the state has been modified since the plan was created. Please run 'bundle plan' again")


def terraform_engine(config: dict[str, Any], environ: Mapping[str, str]) -> bool:
    """`bundle.engine: terraform`, or DATABRICKS_BUNDLE_ENGINE=terraform where the bundle names no engine."""
    engine = (config.get("bundle") or {}).get("engine") or environ.get("DATABRICKS_BUNDLE_ENGINE", "")
    return engine == "terraform"


_VAR_PATH = re.compile(r"[^.\[\]]+|\[[0-9]+\]")


def resolved_value(new_state: dict[str, Any], ids: Mapping[str, str]) -> dict[str, Any]:
    """`new_state.value` with each `vars` entry's references replaced by the ids known now."""
    value = copy.deepcopy(new_state.get("value") or {})
    for where, text in (new_state.get("vars") or {}).items():
        filled = interpolation.REFERENCE.sub(lambda match: ids.get(match.group(1), match.group(0)), text)
        parts: list[str | int] = [int(piece[1:-1]) if piece.startswith("[") else piece for piece in _VAR_PATH.findall(where)]
        parent: Any = value
        for part in parts[:-1]:
            parent = parent[part]
        was_number = isinstance(parent[parts[-1]], int)
        parent[parts[-1]] = int(filled) if was_number and filled.isdigit() else filled
    return value
