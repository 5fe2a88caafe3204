"""Resources: jobs only, with the bundle-wide `run_as` and `permissions` folded into each job
(and each job's permissions resolved as the real CLI does: permissions.py).

Every other resource type of the real CLI (pipelines, schemas, volumes, ...) is an error naming
it. Job fields are checked against the Jobs API's JobSettings (from databricks-sdk) so a typo is
reported, as the real CLI warns about unknown fields.
"""

from __future__ import annotations

from typing import Any

from bundleops.localcli import permissions
from bundleops.localcli.diagnostics import Diagnostics

RUN_AS_KEYS = ("service_principal_name", "user_name")
PRINCIPAL_KEYS = ("user_name", "group_name", "service_principal_name")
BUNDLE_TO_JOB_LEVEL = {"CAN_VIEW": "CAN_VIEW", "CAN_RUN": "CAN_MANAGE_RUN", "CAN_MANAGE": "CAN_MANAGE"}
JOB_LEVELS = ("CAN_VIEW", "CAN_MANAGE_RUN", "CAN_MANAGE", "IS_OWNER")
BUNDLE_ONLY_JOB_KEYS = ("permissions", "lifecycle")  # bundle settings of a job, never sent to the Jobs API


def job_setting_names() -> frozenset[str]:
    from databricks.sdk.service.jobs import JobSettings

    return frozenset(JobSettings.__dataclass_fields__)


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


def _check_job(key: str, job: dict[str, Any], known: frozenset[str], diagnostics: Diagnostics) -> None:
    for field in job:
        if field not in known and field not in BUNDLE_ONLY_JOB_KEYS:
            diagnostics.warning(f"unknown field: {field}", path=f"resources.jobs.{key}", location=diagnostics.locations.key(f"resources.jobs.{key}.{field}"))
    if "run_as" in job:
        _check_run_as(job["run_as"], f"resources.jobs.{key}.run_as", diagnostics)
    for number, entry in enumerate(job.get("permissions") or []):
        if _principal(entry) is None or entry.get("level") not in JOB_LEVELS:
            diagnostics.error(
                f"job permissions entry must have level one of {', '.join(JOB_LEVELS)} and exactly one of {', '.join(PRINCIPAL_KEYS)}",
                path=f"resources.jobs.{key}.permissions[{number}]",
            )


def prepare(config: dict[str, Any], diagnostics: Diagnostics) -> None:
    """Refuse non-job resources; give every job the bundle's run_as and permissions."""
    resources = config.get("resources") or {}
    for kind in resources:
        if kind != "jobs":
            diagnostics.error(f"resource type '{kind}' is not supported by the databricks CLI stand-in (it deploys jobs only)", path=f"resources.{kind}")
    if "run_as" in config and config["run_as"] is None:
        config.pop("run_as")  # `run_as:` with nothing under it is no run_as (acceptance run_as/empty_run_as)
    if "run_as" in config:
        _check_run_as(config["run_as"], "run_as", diagnostics)
    shared = _bundle_permissions(config, diagnostics)
    known = job_setting_names()
    for key, job in (resources.get("jobs") or {}).items():
        if not isinstance(job, dict):
            diagnostics.error(f"job {key} must be a map", path=f"resources.jobs.{key}")
            continue
        _check_job(key, job, known, diagnostics)
        if config.get("run_as") and "run_as" not in job:
            job["run_as"] = dict(config["run_as"])
        if shared:
            job["permissions"] = permissions.with_bundle_permissions(job.get("permissions") or [], shared, diagnostics)
        declared = job.get("permissions")
        if isinstance(declared, list) and declared and all(isinstance(entry, dict) for entry in declared):
            job["permissions"] = permissions.resolve(declared, str(config["workspace"]["current_user"]["userName"]))
