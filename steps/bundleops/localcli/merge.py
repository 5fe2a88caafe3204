"""Merge configuration trees the way the real CLI does, in its two steps.

1. Includes and targets (`merge_into`, `merge_value`): maps merge key by key and the later
   value wins for scalars; sequences are concatenated (libs/dyn/merge).
2. After references are resolved (`merge_job_lists`): a job's `job_clusters`, `parameters` and
   `tasks` with the same key are merged into the first of them, and tasks are sorted by
   `task_key` (bundle/config/mutator/resourcemutator/merge_job_*.go). Doing this after
   resolution is what lets a target override a cluster whose key is `${var...}`
   (acceptance override/job_cluster_var). An element without the key counts under key "",
   which is then written into it, as the real CLI does.
"""

from __future__ import annotations

import copy
from typing import Any

from bundleops.localcli.normalize import kind_name

# list name, key field, sorted by key
JOB_LISTS_MERGED_BY_KEY = (("job_clusters", "job_cluster_key", False), ("parameters", "name", False), ("tasks", "task_key", True))


class MergeError(ValueError):
    """Two values of different kinds at one path, which the real CLI refuses to merge."""


def merge_value(base: Any, override: Any) -> Any:
    """The result of laying `override` over `base` (neither is modified). A null on either side
    gives the other; otherwise both must be of one kind, or it is the real CLI's `cannot merge
    <kind> with <kind>` (libs/dyn/merge; acceptance variables/issue_2436: a target's task list
    over `tasks: ${var.job_tasks}`)."""
    if base is None or override is None:
        return copy.deepcopy(base if override is None else override)
    if isinstance(base, dict) and isinstance(override, dict):
        result = copy.deepcopy(base)
        merge_into(result, override)
        return result
    if isinstance(base, list) and isinstance(override, list):
        return copy.deepcopy(base) + copy.deepcopy(override)
    base_kind, override_kind = kind_name(base), kind_name(override)
    if base_kind in ("map", "sequence") or base_kind != override_kind:
        raise MergeError(f"cannot merge {base_kind} with {override_kind}")
    return copy.deepcopy(override)


def merge_into(base: dict[str, Any], override: dict[str, Any]) -> None:
    """Lay `override` over `base` in place."""
    for key, value in override.items():
        if key in base and base[key] is not None and value is not None:
            base[key] = merge_value(base[key], value)
        elif value is not None or key not in base:
            base[key] = copy.deepcopy(value)


def elements_by_key(elements: list[Any], key: str, *, sort: bool) -> list[Any]:
    merged: dict[str, Any] = {}
    for element in elements:
        if not isinstance(element, dict):
            return elements  # not a list of maps: left for validation to report
        name = str(element.get(key) or "")
        merged[name] = merge_value(merged[name], element) if name in merged else copy.deepcopy(element)
        merged[name][key] = name
    return [merged[name] for name in (sorted(merged) if sort else merged)]


def merge_job_lists(config: dict[str, Any]) -> None:
    for job in ((config.get("resources") or {}).get("jobs") or {}).values():
        if not isinstance(job, dict):
            continue
        for list_name, key, sort in JOB_LISTS_MERGED_BY_KEY:
            if isinstance(job.get(list_name), list):
                job[list_name] = elements_by_key(job[list_name], key, sort=sort)
