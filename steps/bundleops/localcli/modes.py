"""`mode: development` and `mode: production`, the parts of them a jobs-only bundle sees.

Development gives each developer a private copy: deploys take no lock, and the presets get
their development values (`[dev <short_name>] ` prefix, `dev` tag, paused triggers; see presets.py). An
explicit root_path must then still be personal. Production insists on a single copy: without an
explicit root_path it is an error for a user and a recommendation for a service principal or
when every job has `run_as` (the real CLI's rules and words).
"""

from __future__ import annotations

from typing import Any

from bundleops.localcli import presets
from bundleops.localcli.diagnostics import Diagnostics


def _development(config: dict[str, Any], user: dict[str, Any], root_explicit: bool, diagnostics: Diagnostics) -> None:
    short = user["short_name"]
    lock = config["bundle"].setdefault("deployment", {}).setdefault("lock", {})
    lock.setdefault("enabled", False)
    root = config["workspace"]["root_path"]
    if root_explicit and not (user["userName"] in root or short in root or "${workspace.current_user" in root):
        diagnostics.error(
            "root_path must start with '~/' or contain the current username to ensure uniqueness when using 'mode: development'",
            path="workspace.root_path",
        )
    presets.fill_for_development(config, user, diagnostics)


def _production(config: dict[str, Any], user: dict[str, Any], root_explicit: bool, is_principal: bool, diagnostics: Diagnostics) -> None:
    if root_explicit:
        return
    jobs = ((config.get("resources") or {}).get("jobs") or {}).values()
    run_as_everywhere = bool(config.get("run_as")) or (bool(jobs) and all(isinstance(job, dict) and job.get("run_as") for job in jobs))
    summary = "target with 'mode: production' {} set 'workspace.root_path' to make sure only one copy is deployed"
    detail = (
        "A common practice is to use a username or principal name in this path, i.e. use\n\n"
        f"  root_path: /Workspace/Users/{user['userName']}/.bundle/${{bundle.name}}/${{bundle.target}}"
    )
    if run_as_everywhere or is_principal:
        diagnostics.recommendation(summary.format("should"), detail=detail)
    else:
        diagnostics.error(summary.format("must"), detail=detail)


def apply_mode(config: dict[str, Any], user: dict[str, Any], root_explicit: bool, is_principal: bool, diagnostics: Diagnostics) -> None:
    mode = config["bundle"].get("mode")
    if mode == "development":
        _development(config, user, root_explicit, diagnostics)
    elif mode == "production":
        _production(config, user, root_explicit, is_principal, diagnostics)
