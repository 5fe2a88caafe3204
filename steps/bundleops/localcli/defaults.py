"""The defaults the real CLI gives every job, pipeline and volume, and the fields it adds because a bundle manages it.

Real CLI: bundle/config/mutator/resourcemutator/resource_mutator.go (`name: Untitled`,
`max_concurrent_runs: 1`, pause statuses `UNPAUSED` where a schedule, trigger or continuous
block has none, `queue.enabled: true`, job clusters' workload type clients where the block exists;
pipelines `edition: ADVANCED` and `channel: CURRENT`; volumes `volume_type: MANAGED`), applied
after the presets; and bundle/deploy/metadata/annotate_jobs.go and annotate_pipelines.go
(`deployment` pointing at the state's metadata.json; jobs also `edit_mode: UI_LOCKED`, `format:
MULTI_TASK`). They show in `validate -o json` and are sent on deploy.
"""

from __future__ import annotations

from typing import Any

PAUSABLE = ("schedule", "trigger", "continuous")
WORKLOAD_CLIENTS = {"notebooks": True, "jobs": True}


def _job_defaults(job: dict[str, Any]) -> None:
    if not job.get("name"):
        job["name"] = "Untitled"
    if not job.get("max_concurrent_runs"):
        job["max_concurrent_runs"] = 1
    for key in PAUSABLE:
        block = job.get(key)
        if isinstance(block, dict) and not block.get("pause_status"):
            block["pause_status"] = "UNPAUSED"
    if "queue" not in job:
        job["queue"] = {"enabled": True}
    for cluster in job.get("job_clusters") or []:
        clients = ((cluster.get("new_cluster") or {}).get("workload_type") or {}).get("clients") if isinstance(cluster, dict) else None
        if isinstance(clients, dict):  # only where the user wrote the block, as SetDefault matches
            for client, enabled in WORKLOAD_CLIENTS.items():
                clients.setdefault(client, enabled)


def _annotate(job: dict[str, Any], state_path: str) -> None:
    job["deployment"] = {"kind": "BUNDLE", "metadata_file_path": f"{state_path}/metadata.json"}
    job["edit_mode"] = "UI_LOCKED"
    job["format"] = "MULTI_TASK"


def _of(config: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [resource for resource in ((config.get("resources") or {}).get(kind) or {}).values() if isinstance(resource, dict)]


def apply(config: dict[str, Any]) -> None:
    state_path = config["workspace"]["state_path"]
    for job in _of(config, "jobs"):
        _job_defaults(job)
        _annotate(job, state_path)
    for pipeline in _of(config, "pipelines"):
        pipeline.setdefault("edition", "ADVANCED")
        pipeline.setdefault("channel", "CURRENT")
        pipeline["deployment"] = {"kind": "BUNDLE", "metadata_file_path": f"{state_path}/metadata.json"}
    for volume in _of(config, "volumes"):
        volume.setdefault("volume_type", "MANAGED")
