"""Destructive changes, read from the plan: a delete or recreate needs the project's opt-in.

The real CLI asks for approval only for data assets (schemas, volumes, pipelines, ...) and deletes
or recreates a job without asking. A job's run history, its id in other systems' configuration
and its schedule go with it, so bundleops holds back every delete and recreate of a resource (a
`gone` delete, which only cleans the state, is not one) unless bundleops.yml says
`deploy: {auto_approve: true}`. The plan says which resources and why; no error text is parsed.
"""

from __future__ import annotations

from dataclasses import dataclass

from bundleops.errors import BundleopsError, ExitCode
from bundleops.output import markdown as md
from bundleops.preview.plan_json import BundlePlan, PlanEntry

OPT_IN = "deploy: {auto_approve: true}"


@dataclass(frozen=True)
class Verdict:
    destructive: tuple[PlanEntry, ...]
    approved: bool  # deploy.auto_approve is set

    @property
    def held(self) -> bool:
        return bool(self.destructive) and not self.approved

    def listing(self) -> str:
        """`delete jobs.old (removed from the bundle configuration); recreate ...`"""
        return "; ".join(f"{entry.action} {entry.label} ({entry.why()})" for entry in self.destructive)

    def markdown(self) -> str:
        """The line under the counts in the summary: what a reviewer must know before approving."""
        if not self.destructive:
            return "No resource is deleted or recreated."
        names = ", ".join(f"{md.code(entry.label)} ({entry.action})" for entry in self.destructive)
        if self.approved:
            return f"> [!WARNING]\n> Deletes or recreates {names}: allowed by `{OPT_IN}` in bundleops.yml."
        return f"> [!CAUTION]\n> Deletes or recreates {names}. **The deploy is held back** until this is intended and bundleops.yml says `{OPT_IN}`."

    def error(self, target_label: str) -> BundleopsError:
        return BundleopsError(
            f"destructive changes held back: the deploy to {target_label} would {self.listing()}. Nothing was changed.",
            fix=f"review these changes; if they are intended, opt in with `{OPT_IN}` in bundleops.yml",
            code=ExitCode.CHECK_FAILED,
        )


def judge(plan: BundlePlan, auto_approve: bool) -> Verdict:
    return Verdict(plan.destructive(), auto_approve)
