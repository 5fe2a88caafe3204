"""`bundle summary`: the resolved configuration with what the deployment state says exists.

A deployed job gets `id` (a string, as in the real CLI) and `url`; a job not yet deployed gets
`modified_status: "created"`, and a job still in the state but gone from the configuration is
listed with `modified_status: "deleted"`.
"""

from __future__ import annotations

import copy
from typing import Any

from bundleops.localcli import render, state
from bundleops.localcli.context import Context


def job_url(host: str, job_id: str) -> str:
    return f"{host}/jobs/{job_id}"


def with_deployment(context: Context) -> dict[str, Any]:
    config = copy.deepcopy(context.bundle.config)
    deployed = state.load(context.client, context.bundle.workspace["state_path"]).job_ids()
    jobs = config.setdefault("resources", {}).setdefault("jobs", {})
    for key, job in jobs.items():
        if key in deployed:
            job["id"] = deployed[key]
            job["url"] = job_url(context.host, deployed[key])
        else:
            job["modified_status"] = "created"
    for key, job_id in deployed.items():
        if key not in jobs:
            jobs[key] = {"id": job_id, "modified_status": "deleted"}
    if not jobs:
        config["resources"].pop("jobs")
    return config


def text(context: Context, config: dict[str, Any]) -> str:
    lines = render.header(context.bundle)
    jobs = (config.get("resources") or {}).get("jobs") or {}
    if jobs:
        lines += ["Resources:", "  Jobs:"]
        for key, job in jobs.items():
            lines += [f"    {key}:", f"      Name: {job.get('name', '')}", f"      URL:  {job.get('url', '(not deployed)')}"]
    return "\n".join(lines) + "\n"
