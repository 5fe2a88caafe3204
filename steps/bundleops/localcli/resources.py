"""Resources: the kinds of kinds.py (jobs, pipelines, schemas, volumes), with the bundle-wide
`run_as` and `permissions` folded into each job (and each job's permissions resolved as the real
CLI does: permissions.py).

Every other resource type of the real CLI (dashboards, apps, ...) is an error naming it, and so
are the parts of a kind the stand-in does not model (pipeline `permissions`); schema and volume
`grants` are checked by grants.py. Fields are checked against the kind's databricks-sdk type (JobSettings,
PipelineSpec, SchemaInfo, VolumeInfo) so a typo is reported, as the real CLI warns about unknown
fields.
"""

from __future__ import annotations

from typing import Any

from bundleops.localcli import grants, kinds, permissions
from bundleops.localcli.diagnostics import Diagnostics

RUN_AS_KEYS = ("service_principal_name", "user_name")
PRINCIPAL_KEYS = ("user_name", "group_name", "service_principal_name")
BUNDLE_TO_JOB_LEVEL = {"CAN_VIEW": "CAN_VIEW", "CAN_RUN": "CAN_MANAGE_RUN", "CAN_MANAGE": "CAN_MANAGE"}
JOB_LEVELS = ("CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER")
UNMODELLED = {"pipelines": ("permissions",)}

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
    converted = []
    for number, entry in enumerate(config.get("permissions") or []):
        principal = _principal(entry)
        level = entry.get("level") if isinstance(entry, dict) else None
        if principal is None or level not in BUNDLE_TO_JOB_LEVEL:
            diagnostics.error(
                f"permissions entry must have level one of {', '.join(BUNDLE_TO_JOB_LEVEL)} and exactly one of {', '.join(PRINCIPAL_KEYS)}",
                path=f"permissions[{number}]",
            )
            continue
        converted.append({"level": BUNDLE_TO_JOB_LEVEL[level], **principal})
    return converted


def _check_fields(kind: str, key: str, resource: dict[str, Any], diagnostics: Diagnostics) -> None:
    known = kinds.KINDS[kind].settings_names()
    where = f"resources.{kind}.{key}"
    for field in resource:
        if field in UNMODELLED.get(kind, ()):
            diagnostics.error(f"{kind} {field} are not supported by the databricks CLI stand-in", path=f"{where}.{field}")
        elif field not in known:
            diagnostics.warning(f"unknown field: {field}", path=where, location=diagnostics.locations.key(f"{where}.{field}"))


def _check_job(key: str, job: dict[str, Any], diagnostics: Diagnostics) -> None:
    _check_fields("jobs", key, job, diagnostics)
    if "run_as" in job:
        _check_run_as(job["run_as"], f"resources.jobs.{key}.run_as", diagnostics)
    for number, entry in enumerate(job.get("permissions") or []):
        if _principal(entry) is None or entry.get("level") not in JOB_LEVELS:
            diagnostics.error(
                f"job permissions entry must have level one of {', '.join(JOB_LEVELS)} and exactly one of {', '.join(PRINCIPAL_KEYS)}",
                path=f"resources.jobs.{key}.permissions[{number}]",
            )


def prepare(config: dict[str, Any], diagnostics: Diagnostics) -> None:
    """Refuse kinds the stand-in does not deploy; check fields; give every job the bundle's run_as and permissions."""
    resources = config.get("resources") or {}
    for kind in resources:
        if kind not in kinds.KINDS:
            diagnostics.error(f"resource type '{kind}' is not supported by the databricks CLI stand-in (it deploys {', '.join(kinds.ORDER)})", path=f"resources.{kind}")
            continue
        for key, resource in (resources[kind] or {}).items() if kind != "jobs" else ():
            if not isinstance(resource, dict):
                diagnostics.error(f"{kind} {key} must be a map", path=f"resources.{kind}.{key}")
            else:
                _check_fields(kind, key, resource, diagnostics)
                if "grants" in resource:
                    grants.check(f"resources.{kind}.{key}", resource["grants"], diagnostics)
    if "run_as" in config and config["run_as"] is None:
        config.pop("run_as")  # `run_as:` with nothing under it is no run_as (acceptance run_as/empty_run_as)
    if "run_as" in config:
        _check_run_as(config["run_as"], "run_as", diagnostics)
    shared = _bundle_permissions(config, diagnostics)
    for key, job in (resources.get("jobs") or {}).items():
        if not isinstance(job, dict):
            diagnostics.error(f"job {key} must be a map", path=f"resources.jobs.{key}")
            continue
        _check_job(key, job, diagnostics)
        if config.get("run_as") and "run_as" not in job:
            job["run_as"] = dict(config["run_as"])
        if shared:
            existing = job.setdefault("permissions", [])
            existing.extend(entry for entry in shared if entry not in existing)
        declared = job.get("permissions")
        if isinstance(declared, list) and declared and all(isinstance(entry, dict) for entry in declared):
            job["permissions"] = permissions.resolve(declared, str(config["workspace"]["current_user"]["userName"]))
