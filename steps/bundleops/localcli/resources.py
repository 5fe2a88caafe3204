"""Resources: the kinds of kinds.py (jobs, pipelines, schemas, volumes), with the bundle-wide
`run_as` and `permissions` folded into each job and pipeline (their permissions resolved as the
real CLI does: permissions.py; bundle levels mapped per kind as apply_bundle_permissions.go does).

Every other resource type of the real CLI (dashboards, apps, ...) is an error naming it, and so
is a pipeline's `cascade_on_destroy`; schema and volume `grants` are checked by grants.py. Fields are checked against the kind's
databricks-sdk type (JobSettings, PipelineSpec, SchemaInfo, VolumeInfo) so a typo is reported,
as the real CLI warns about unknown fields.
"""

from __future__ import annotations

from typing import Any

from bundleops.localcli import grants, kinds, permissions
from bundleops.localcli.diagnostics import Diagnostics

RUN_AS_KEYS = ("service_principal_name", "user_name")
PRINCIPAL_KEYS = ("user_name", "group_name", "service_principal_name")
BUNDLE_LEVELS = ("CAN_VIEW", "CAN_RUN", "CAN_MANAGE")
# Bundle fields of a kind the stand-in does not model, refused by name with what it would do instead.
UNMODELLED = {("pipelines", "cascade_on_destroy"): "a pipeline's deletion always takes its tables with it"}
# A bundle-wide level as each kind names it, and the levels the kind takes (apply_bundle_permissions.go).
KIND_LEVELS = {
    "jobs": ({"CAN_VIEW": "CAN_VIEW", "CAN_RUN": "CAN_MANAGE_RUN", "CAN_MANAGE": "CAN_MANAGE"}, ("CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER")),
    "pipelines": ({"CAN_VIEW": "CAN_VIEW", "CAN_RUN": "CAN_RUN", "CAN_MANAGE": "CAN_MANAGE"}, ("CAN_VIEW", "CAN_RUN", "CAN_MANAGE", "IS_OWNER")),
}


def _principal(entry: Any) -> dict[str, str] | None:
    if not isinstance(entry, dict):
        return None
    named = {key: entry[key] for key in PRINCIPAL_KEYS if entry.get(key)}
    return named if len(named) == 1 else None


def _check_run_as(run_as: Any, where: str, diagnostics: Diagnostics) -> None:
    """The real CLI's words (bundle/config/mutator/resourcemutator/run_as.go)."""
    named = [key for key in RUN_AS_KEYS if isinstance(run_as, dict) and run_as.get(key)]
    if not named:
        diagnostics.error("run_as section must specify exactly one identity. Neither service_principal_name nor user_name is specified", locate=where)
    elif len(named) > 1:
        diagnostics.error("run_as section cannot specify both user_name and service_principal_name", locate=where)
    elif set(run_as) - set(RUN_AS_KEYS):
        diagnostics.error(f"run_as key '{sorted(set(run_as) - set(RUN_AS_KEYS))[0]}' is not supported by the databricks CLI stand-in", locate=where)


def _bundle_permissions(config: dict[str, Any], diagnostics: Diagnostics) -> list[dict[str, str]]:
    """The bundle-wide entries that are valid (each one at a bundle level, for one principal)."""
    valid = []
    for number, entry in enumerate(config.get("permissions") or []):
        principal = _principal(entry)
        level = entry.get("level") if isinstance(entry, dict) else None
        if principal is None or level not in BUNDLE_LEVELS:
            diagnostics.error(
                f"permissions entry must have level one of {', '.join(BUNDLE_LEVELS)} and exactly one of {', '.join(PRINCIPAL_KEYS)}",
                path=f"permissions[{number}]",
            )
            continue
        valid.append({"level": level, **principal})
    return valid


def _check_fields(kind: str, key: str, resource: dict[str, Any], diagnostics: Diagnostics) -> None:
    known = kinds.KINDS[kind].settings_names()
    where = f"resources.{kind}.{key}"
    for field in resource:
        if (kind, field) in UNMODELLED:
            diagnostics.error(f"{field} is not supported by the databricks CLI stand-in ({UNMODELLED[kind, field]})", path=f"{where}.{field}")
        elif field not in known:
            diagnostics.warning(f"unknown field: {field}", path=where, location=diagnostics.locations.key(f"{where}.{field}"))
    if "grants" in resource:
        grants.check(where, resource["grants"], diagnostics)


def _check_runnable(kind: str, key: str, resource: dict[str, Any], diagnostics: Diagnostics) -> None:
    """A job's or pipeline's run_as and permissions."""
    if "run_as" in resource:
        _check_run_as(resource["run_as"], f"resources.{kind}.{key}.run_as", diagnostics)
    levels = KIND_LEVELS[kind][1]
    for number, entry in enumerate(resource.get("permissions") or []):
        if _principal(entry) is None or entry.get("level") not in levels:
            diagnostics.error(
                f"{kind[:-1]} permissions entry must have level one of {', '.join(levels)} and exactly one of {', '.join(PRINCIPAL_KEYS)}",
                path=f"resources.{kind}.{key}.permissions[{number}]",
            )


def capture_schema_references(resources: dict[str, Any]) -> None:
    """A volume's `schema_name`, a pipeline's `schema` or `target` naming a schema of the bundle (same
    catalog, same name) becomes `${resources.schemas.<key>.name}`, before the presets prefix the
    schema, so it follows the schema's final name (the real CLI's captureUCDependencies)."""
    schemas = {(schema.get("catalog_name"), schema.get("name")): key
               for key, schema in sorted((resources.get("schemas") or {}).items(), reverse=True) if isinstance(schema, dict)}
    for kind, catalog_field, schema_fields in (("volumes", "catalog_name", ("schema_name",)), ("pipelines", "catalog", ("schema", "target"))):
        for resource in (resources.get(kind) or {}).values():
            for field in schema_fields if isinstance(resource, dict) and resource.get(catalog_field) else ():
                key = schemas.get((resource[catalog_field], resource.get(field))) if resource.get(field) else None
                if key is not None:
                    resource[field] = f"${{resources.schemas.{key}.name}}"


def prepare(config: dict[str, Any], diagnostics: Diagnostics) -> None:
    """Refuse kinds the stand-in does not deploy; check fields; give every job and pipeline the bundle's run_as and permissions."""
    resources = config.get("resources") or {}
    for kind in resources:
        if kind not in kinds.KINDS:
            diagnostics.error(f"resource type '{kind}' is not supported by the databricks CLI stand-in (it deploys {', '.join(kinds.ORDER)})", path=f"resources.{kind}")
    if "run_as" in config and config["run_as"] is None:
        config.pop("run_as")  # `run_as:` with nothing under it is no run_as (acceptance run_as/empty_run_as)
    if "run_as" in config:
        _check_run_as(config["run_as"], "run_as", diagnostics)
    shared = _bundle_permissions(config, diagnostics)
    for kind in kinds.ORDER:
        for key, resource in (resources.get(kind) or {}).items():
            if not isinstance(resource, dict):
                diagnostics.error(f"{kind[:-1]} {key} must be a map", path=f"resources.{kind}.{key}")
                continue
            _check_fields(kind, key, resource, diagnostics)
            if kind in KIND_LEVELS:
                _check_runnable(kind, key, resource, diagnostics)
                _fold(config, kind, resource, [{**entry, "level": KIND_LEVELS[kind][0][entry["level"]]} for entry in shared], diagnostics)
    capture_schema_references(resources)


def _fold(config: dict[str, Any], kind: str, resource: dict[str, Any], shared: list[dict[str, str]], diagnostics: Diagnostics) -> None:
    """The bundle's run_as where the resource has none, its permissions added (permissions.with_bundle_permissions), then resolved."""
    if config.get("run_as") and "run_as" not in resource:
        resource["run_as"] = dict(config["run_as"])
    if shared:
        resource["permissions"] = permissions.with_bundle_permissions(resource.get("permissions") or [], shared, diagnostics, kind)
    declared = resource.get("permissions")
    if isinstance(declared, list) and declared and all(isinstance(entry, dict) for entry in declared):
        resource["permissions"] = permissions.resolve(declared, str(config["workspace"]["current_user"]["userName"]))
