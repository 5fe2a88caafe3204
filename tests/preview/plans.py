"""Plans made up for size: what a large bundle's pull request looks like to the renderer (tests and benchmarks/preview.py)."""

from __future__ import annotations

from typing import Any


def big_plan(resources: int) -> dict[str, Any]:
    """A plan of `resources` jobs: every tenth deleted, the rest updated in three fields (one a long SQL text)."""
    entries = {}
    for index in range(resources):
        key = f"resources.jobs.job_{index:03d}" if index != resources - 1 else f"resources.jobs.job_{index}"
        if index % 10 == 9:
            entries[key] = {"action": "delete", "remote_state": {"name": f"job {index}", "job_id": 1000 + index}}
            continue
        entries[key] = {
            "action": "update",
            "new_state": {"value": {"name": f"job {index}"}},
            "changes": {
                "name": {"action": "update", "old": f"job {index}", "new": f"job {index} v2"},
                "tasks[task_key='main'].notebook_task.notebook_path": {"action": "update", "old": f"/Workspace/src/n{index}", "new": f"/Workspace/src/n{index}_v2"},
                "tasks[task_key='sql'].sql_task.query.text": {"action": "update", "old": "SELECT " + ", ".join(f"c{i}" for i in range(60)), "new": "SELECT *"},
                "timeout_seconds": {"action": "skip", "reason": "empty", "remote": 0},
            },
        }
    return {"plan_version": 2, "cli_version": "1.13.0", "lineage": "6f1c2a0e-3b7d-4c39-9a51-2d8e4f0b7c11", "serial": 7, "plan": entries}
