"""`presets`, and the presets `mode: development` fills in, applied to jobs, pipelines and schemas as the real CLI does.

Real CLI: bundle/config/mutator/resourcemutator/apply_target_mode.go (development mode fills the
presets the user left empty: name prefix `[dev <short_name>] `, tag `dev`, 4 concurrent runs,
triggers paused, pipelines_development, which has no effect on jobs), validate_target_mode.go (a development prefix must name the user; triggers
may not be unpaused by default) and apply_presets.go (jobs: prefix, missing tags, max_concurrent_runs
when unset, pause status where the job has none; pipelines: prefix, missing tags, `development:
true` when pipelines_development is on, `continuous: false` when triggers are paused; schemas: the
prefix normalised for a Unity Catalog name, `[dev jane] ` -> `dev_jane_`; volumes: nothing).
"""

from __future__ import annotations

import re
from typing import Any

from bundleops.localcli.diagnostics import Diagnostics

SUPPORTED = ("name_prefix", "tags", "jobs_max_concurrent_runs", "trigger_pause_status", "pipelines_development")
STRING_PRESETS = ("name_prefix", "trigger_pause_status")
PAUSE_STATUSES = ("PAUSED", "UNPAUSED")
DEVELOPMENT_CONCURRENT_RUNS = 4
PAUSABLE = ("schedule", "trigger", "continuous")


def _presets(config: dict[str, Any]) -> dict[str, Any]:
    presets = config.get("presets")
    if not isinstance(presets, dict):
        presets = {}
    config["presets"] = presets
    return presets


def check(config: dict[str, Any], diagnostics: Diagnostics) -> None:
    """Keys outside the jobs subset are refused by name; pause statuses must be valid."""
    presets = _presets(config)
    for key in presets:
        if key not in SUPPORTED:
            diagnostics.error(f"presets key '{key}' is not supported by the databricks CLI stand-in", path=f"presets.{key}")
    for key in STRING_PRESETS:
        if key in presets and presets[key] is None:
            # The real CLI's type normalisation warns and drops the empty value (validate/presets_name_prefix_dev).
            diagnostics.warning("expected a string value, found null", path=f"presets.{key}")
            presets.pop(key)
    status = presets.get("trigger_pause_status")
    if status not in (None, "", *PAUSE_STATUSES):
        diagnostics.error(f"invalid value for trigger_pause_status: '{status}'. Supported values are PAUSED or UNPAUSED", path="presets.trigger_pause_status")


def fill_for_development(config: dict[str, Any], user: dict[str, Any], diagnostics: Diagnostics) -> None:
    """What `mode: development` sets where the user set nothing, and what it forbids."""
    presets = _presets(config)
    short = user["short_name"]
    if presets.get("trigger_pause_status") == "UNPAUSED":
        diagnostics.error("target with 'mode: development' cannot set trigger pause status to UNPAUSED by default", locate="presets.trigger_pause_status")
    prefix = presets.get("name_prefix")
    if prefix and not any(name and name in prefix for name in (user["userName"], short, user.get("domain_friendly_name"), "${workspace.current_user.short_name}")):
        diagnostics.error("prefix should contain the current username or ${workspace.current_user.short_name} to ensure uniqueness when using 'mode: development'", locate="presets.name_prefix")
    if not prefix:
        presets["name_prefix"] = f"[dev {short}] "
    presets["tags"] = {"dev": short, **(presets.get("tags") or {})}
    presets.setdefault("jobs_max_concurrent_runs", DEVELOPMENT_CONCURRENT_RUNS)
    if presets.get("pipelines_development") is not False:
        presets["pipelines_development"] = True
    if not presets.get("trigger_pause_status"):
        presets["trigger_pause_status"] = "PAUSED"


def normalized_prefix(prefix: str) -> str:
    """The prefix as a Unity Catalog name takes it (the real CLI's normalizePrefix and textutil.NormalizeString):
    brackets dropped, lower case, every run of other characters than letters and digits one `_`."""
    prefix = prefix.replace("[", "").strip(" ")
    suffix = "_" if prefix.endswith("]") else ""
    return re.sub(r"_+", "_", "".join(char if char.isalnum() else "_" for char in prefix.lower())).strip("_") + suffix


def _with_tags(resource: dict[str, Any], tags: dict[str, Any]) -> None:
    if tags:
        own = resource.get("tags") or {}
        resource["tags"] = {**own, **{key: value for key, value in tags.items() if not own.get(key)}}


def _pipelines_and_schemas(config: dict[str, Any], presets: dict[str, Any]) -> None:
    for pipeline in ((config.get("resources") or {}).get("pipelines") or {}).values():
        if not isinstance(pipeline, dict):
            continue
        pipeline["name"] = (presets.get("name_prefix") or "") + str(pipeline.get("name") or "")
        if presets.get("pipelines_development") is True:
            pipeline["development"] = True
        if presets.get("trigger_pause_status") == "PAUSED":
            pipeline["continuous"] = False
        _with_tags(pipeline, presets.get("tags") or {})
    for schema in ((config.get("resources") or {}).get("schemas") or {}).values():
        if isinstance(schema, dict):
            schema["name"] = normalized_prefix(presets.get("name_prefix") or "") + str(schema.get("name") or "")


def apply(config: dict[str, Any]) -> None:
    presets = _presets(config)
    prefix = presets.get("name_prefix") or ""
    tags = presets.get("tags") or {}
    pause_status = presets.get("trigger_pause_status")
    _pipelines_and_schemas(config, presets)
    for job in ((config.get("resources") or {}).get("jobs") or {}).values():
        if not isinstance(job, dict):
            continue
        job["name"] = prefix + str(job.get("name") or "")
        _with_tags(job, tags)
        if not job.get("max_concurrent_runs") and presets.get("jobs_max_concurrent_runs"):
            job["max_concurrent_runs"] = presets["jobs_max_concurrent_runs"]
        for key in PAUSABLE if pause_status else ():
            block = job.get(key)
            if isinstance(block, dict) and not block.get("pause_status"):
                block["pause_status"] = pause_status
    if not presets:
        config.pop("presets")
