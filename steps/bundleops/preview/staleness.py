"""Is the reviewed plan still what a deploy would do? Compared with a fresh plan before prod applies it.

Two ways the workspace moves on after a plan was approved: another deploy (the deployment state's
`serial` grew, or its `lineage` differs: a new state), and drift (someone changed a job in the
UI, so a fresh plan's actions or field changes differ). Either way the approval no longer covers
what would be applied: the deploy stops with PlanOutOfDate and nothing is changed.
"""

from __future__ import annotations

import re
from typing import Any

from bundleops.errors import BundleopsError, ExitCode
from bundleops.preview.plan_json import BundlePlan

# The CLI's own refusal of a stale plan (bundle/direct, `deploy --plan`), for a deploy that lands
# between bundleops' check and the CLI's: "plan serial 1 does not match state serial 2; ..." and
# "plan lineage "x" does not match state lineage "y"; ...".
CLI_STALE = re.compile(r"plan (serial|lineage) \S+ does not match state (serial|lineage) \S+")


class PlanOutOfDate(BundleopsError):
    """The named error: the workspace changed between the approval and the apply."""

    def __init__(self, plan_file: str, what: str) -> None:
        super().__init__(
            f"plan out of date: the workspace changed since {plan_file} was made and reviewed ({what}). Nothing was deployed.",
            fix="run `bundleops preview` again, review the new plan, and deploy with it (re-run the pipeline from its preview step)",
            code=ExitCode.CHECK_FAILED,
        )


def _fingerprint(plan: BundlePlan) -> dict[str, tuple[str, tuple[tuple[str, str, Any, Any, Any], ...]]]:
    return {
        entry.key: (entry.action, tuple((c.path, c.action, c.old, c.new, c.remote) for c in entry.shown_changes()))
        for entry in plan.entries
    }


def differences(reviewed: BundlePlan, fresh: BundlePlan) -> list[str]:
    """What differs, in words; empty when the reviewed plan still holds."""
    found = []
    if reviewed.lineage != fresh.lineage and reviewed.lineage is not None:
        found.append(f"the deployment state was replaced (lineage {reviewed.lineage} → {fresh.lineage})")
    elif reviewed.serial != fresh.serial:
        found.append(f"another deploy ran (deployment state serial {reviewed.serial} → {fresh.serial})")
    before, now = _fingerprint(reviewed), _fingerprint(fresh)
    for key in sorted(before.keys() | now.keys()):
        if key not in now or key not in before:
            found.append(f"{key.removeprefix('resources.')} {'left' if key not in now else 'joined'} the plan")
        elif before[key][0] != now[key][0]:
            found.append(f"{key.removeprefix('resources.')}: {before[key][0]} → {now[key][0]}")
        elif before[key][1] != now[key][1]:
            found.append(f"{key.removeprefix('resources.')}: its field changes differ (drift)")
    return found


def check(reviewed: BundlePlan, fresh: BundlePlan, plan_file: str) -> None:
    found = differences(reviewed, fresh)
    if found:
        raise PlanOutOfDate(plan_file, "; ".join(found[:5]) + (f"; and {len(found) - 5} more" if len(found) > 5 else ""))


def refused_by_cli(stderr: str, plan_file: str) -> PlanOutOfDate | None:
    """The same error when the CLI itself found the plan stale (a deploy landed after bundleops' check)."""
    match = CLI_STALE.search(stderr)
    return PlanOutOfDate(plan_file, f"the CLI says: {match.group(0)}") if match else None
