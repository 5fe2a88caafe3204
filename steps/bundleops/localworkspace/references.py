"""Dynamic value references (`{{job.parameters.x}}`, `{{job.run_id}}`, ...) in task parameters,
resolved when a run starts, as the Jobs service does."""

from __future__ import annotations

import re
from typing import Any, Mapping

from bundleops.localworkspace.http import ApiError

_REFERENCE = re.compile(r"\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}")


def resolve(value: Any, values: Mapping[str, str]) -> Any:
    """`value` (a string, or lists and dicts of strings) with every reference replaced.

    An unknown reference fails the run-now call (400), naming the reference, rather than
    reaching the task as literal text.
    """
    if isinstance(value, str):
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values:
                raise ApiError(400, "INVALID_PARAMETER_VALUE", f"Invalid dynamic value reference {{{{{name}}}}}: the local workspace resolves {', '.join(sorted(values))}")
            return values[name]

        return _REFERENCE.sub(replace, value)
    if isinstance(value, list):
        return [resolve(item, values) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, values) for key, item in value.items()}
    return value


def run_values(job_id: int, run_id: int, parameters: Mapping[str, str], task_key: str) -> dict[str, str]:
    values = {"job.id": str(job_id), "job.run_id": str(run_id), "run_id": str(run_id), "task.name": task_key}
    values.update({f"job.parameters.{name}": value for name, value in parameters.items()})
    return values
