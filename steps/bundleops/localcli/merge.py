"""Merge one configuration tree into another the way the real CLI does for includes and targets.

Maps merge key by key and the later value wins for scalars. Lists are concatenated, except the
job lists whose items have a key (`tasks` by `task_key`, `job_clusters` by `job_cluster_key`,
`parameters` by `name`, `environments` by `environment_key`): there an override item with the
same key is merged into the base item, which is what lets a target change one task's cluster.
"""

from __future__ import annotations

import copy
from typing import Any

KEYED_LISTS = {
    "tasks": "task_key",
    "job_clusters": "job_cluster_key",
    "parameters": "name",
    "environments": "environment_key",
}


def _merge_keyed_list(base: list[Any], override: list[Any], key: str) -> list[Any]:
    merged = [copy.deepcopy(item) for item in base]
    index = {item.get(key): item for item in merged if isinstance(item, dict) and key in item}
    for item in override:
        existing = index.get(item.get(key)) if isinstance(item, dict) else None
        if existing is not None:
            merge_into(existing, item)
        else:
            merged.append(copy.deepcopy(item))
    return merged


def merge_value(base: Any, override: Any, name: str = "") -> Any:
    """The result of laying `override` over `base` (neither is modified)."""
    if isinstance(base, dict) and isinstance(override, dict):
        result = copy.deepcopy(base)
        merge_into(result, override)
        return result
    if isinstance(base, list) and isinstance(override, list):
        if name in KEYED_LISTS:
            return _merge_keyed_list(base, override, KEYED_LISTS[name])
        return copy.deepcopy(base) + copy.deepcopy(override)
    return copy.deepcopy(override)


def merge_into(base: dict[str, Any], override: dict[str, Any]) -> None:
    """Lay `override` over `base` in place."""
    for key, value in override.items():
        if key in base and base[key] is not None and value is not None:
            base[key] = merge_value(base[key], value, key)
        elif value is not None or key not in base:
            base[key] = copy.deepcopy(value)
