"""The prod guard: every step that changes prod refuses `--target prod` unless the context allows a release.

Allowed: a push or manual run on the default branch, or a release tag, on a CI system. Never a
pull request, never a fork, whatever break-glass says: untrusted or unreviewed code never
reaches prod. Never a developer's shell either: prod changes only through CI. Break-glass
(`--break-glass REASON` or BUNDLEOPS_BREAK_GLASS) lifts only the branch or tag condition on a CI
system, for an emergency fix from a hotfix branch, and is logged loudly.

A look at prod that changes nothing there (validate, preview, doctor, drift, history: READ_ONLY_STEPS) is
allowed from a developer's shell, with the team's own credentials, and from a scheduled run of the
default branch (the drift check); from a pull request or a fork it is refused like a deploy, since
their code would run with prod's credentials.
"""

from __future__ import annotations

from bundleops.config import ProjectConfig
from bundleops.context.model import CIContext
from bundleops.errors import BundleopsError, ExitCode
from bundleops.plan.planner import is_default_branch, is_release_tag

BREAK_GLASS_ENV = "BUNDLEOPS_BREAK_GLASS"
PROD = "prod"
# Steps that only look at a target: `databricks bundle validate` and `bundle plan`.
READ_ONLY_STEPS = ("validate", "preview", "doctor", "drift", "history")


def prod_refusal(context: CIContext, config: ProjectConfig, *, read_only: bool = False) -> tuple[str, bool] | None:
    """Why prod is refused (and whether break-glass may lift it), or None when it is allowed."""
    if context.event == "pull_request" or context.is_fork:
        return "prod is never deployed from a pull request or a fork", False
    if context.vendor == "local":
        if read_only:
            return None
        return "prod is changed only from CI, not from a developer's shell (validate and preview may look at it from there)", False
    if context.event in ("push", "manual") and is_default_branch(context.branch, context):
        return None
    if read_only and context.event == "schedule" and is_default_branch(context.branch, context):
        return None
    if context.event == "tag" and is_release_tag(context.tag, config):
        return None
    return (
        f"prod needs a push or manual run on the default branch ({context.default_branch}) "
        f"or a tag matching {config.release_tag_pattern!r}"
    ), True


def check_target(target: str | None, context: CIContext, config: ProjectConfig, break_glass: str | None = None, *, read_only: bool = False) -> str | None:
    """Raise (exit 2) when the target is refused; return a loud warning when break-glass was used."""
    if target != PROD:
        return None
    refusal = prod_refusal(context, config, read_only=read_only)
    if refusal is None:
        return None
    reason, liftable = refusal
    if break_glass and liftable:
        return f"BREAK-GLASS: deploying to prod although {reason}. Reason given: {break_glass!r}. Context: {context.describe()}"
    raise BundleopsError(
        f"refusing --target prod: {reason}. Context seen: {context.describe()}",
        fix="merge to the default branch or push a release tag"
        + ("" if not liftable else f"; in an emergency pass --break-glass REASON (or {BREAK_GLASS_ENV}), which is logged"),
        code=ExitCode.BAD_INPUT,
    )
