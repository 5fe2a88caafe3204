"""`bundle summary`: the resolved configuration with what the deployment state says exists.

A deployed resource (job, pipeline, schema, volume) gets `id` (a string, as in the real CLI) and
`url`; one not yet deployed gets `modified_status: "created"`, and one still in the state but
gone from the configuration is listed with `modified_status: "deleted"`.
"""

from __future__ import annotations

import copy
from typing import Any

from bundleops.localcli import kinds, render, state
from bundleops.localcli.context import Context

TITLES = {"jobs": "Jobs", "pipelines": "Pipelines", "schemas": "Schemas", "volumes": "Volumes"}


def with_deployment(context: Context) -> dict[str, Any]:
    config = copy.deepcopy(context.bundle.config)
    deployed = state.load(context.client, context.bundle.workspace["state_path"])
    resources = config.setdefault("resources", {})
    for kind in kinds.ORDER:
        ids = deployed.ids(kind)
        configured = resources.setdefault(kind, {})
        for key, resource in configured.items():
            if key in ids:
                resource["id"] = ids[key]
                resource["url"] = kinds.KINDS[kind].url(context.host, ids[key])
            else:
                resource["modified_status"] = "created"
        for key, resource_id in ids.items():
            if key not in configured:
                configured[key] = {"id": resource_id, "modified_status": "deleted"}
        if not configured:
            resources.pop(kind)
    return config


def text(context: Context, config: dict[str, Any]) -> str:
    lines = render.header(context.bundle)
    resources = config.get("resources") or {}
    if any(resources.get(kind) for kind in kinds.ORDER):
        lines.append("Resources:")
    for kind in kinds.ORDER:
        if resources.get(kind):
            lines.append(f"  {TITLES[kind]}:")
            for key, resource in resources[kind].items():
                lines += [f"    {key}:", f"      Name: {resource.get('name', '')}", f"      URL:  {resource.get('url', '(not deployed)')}"]
    return "\n".join(lines) + "\n"
