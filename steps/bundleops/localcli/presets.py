"""`presets`, and the presets `mode: development` fills in, applied to every job as the real CLI does.

Real CLI: bundle/config/mutator/resourcemutator/apply_target_mode.go (development mode fills the
presets the user left empty: name prefix `[dev <short_name>] `, tag `dev`, 4 concurrent runs,
triggers paused, pipelines_development, which has no effect on jobs), validate_target_mode.go (a development prefix must name the user; triggers
may not be unpaused by default) and apply_presets.go (prefix, missing tags, max_concurrent_runs
when unset, pause status where the job has none).
"""

from __future__ import annotations

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


def apply(config: dict[str, Any]) -> None:
    presets = _presets(config)
    prefix = presets.get("name_prefix") or ""
    tags = presets.get("tags") or {}
    pause_status = presets.get("trigger_pause_status")
    for job in ((config.get("resources") or {}).get("jobs") or {}).values():
        if not isinstance(job, dict):
            continue
        job["name"] = prefix + str(job.get("name") or "")
        if tags:
            job_tags = job.get("tags") or {}
            job["tags"] = {**job_tags, **{key: value for key, value in tags.items() if not job_tags.get(key)}}
        if not job.get("max_concurrent_runs") and presets.get("jobs_max_concurrent_runs"):
            job["max_concurrent_runs"] = presets["jobs_max_concurrent_runs"]
        for key in PAUSABLE if pause_status else ():
            block = job.get(key)
            if isinstance(block, dict) and not block.get("pause_status"):
                block["pause_status"] = pause_status
    if not presets:
        config.pop("presets")
