"""What validate and summary print: the configuration as JSON, or the short text block.

The JSON is the resolved configuration with keys sorted (as the real CLI's output is), stdout
only. The text form is the real CLI's `Name/Target/Workspace` block followed by
`Validation OK!` or the tally of diagnostics.
"""

from __future__ import annotations

import json
from typing import Any

from bundleops.localcli.bundle import Bundle


def as_json(config: dict[str, Any]) -> str:
    return json.dumps(config, indent=2, sort_keys=True)


def header(bundle: Bundle) -> list[str]:
    workspace = bundle.config.get("workspace") or {}
    if bundle.diagnostics.before_workspace:
        return [f"Name: {bundle.name}", f"Target: {bundle.target}"]
    lines = [f"Name: {bundle.name}", f"Target: {bundle.target}", "Workspace:"]
    if workspace.get("host"):
        lines.append(f"  Host: {workspace['host']}")
    user = (workspace.get("current_user") or {}).get("userName")
    if user:
        lines.append(f"  User: {user}")
    lines.append(f"  Path: {workspace.get('root_path', '')}")
    return lines


def validate_text(bundle: Bundle) -> str:
    tally = bundle.diagnostics.tally()
    return "\n".join([*header(bundle), "", tally or "Validation OK!"]) + "\n"
