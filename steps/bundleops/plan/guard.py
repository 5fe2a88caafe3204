"""The prod guard: every step refuses `--target prod` unless the context allows a release.

Allowed: a push or manual run on the default branch, or a release tag, on a CI system. Never a
pull request, never a fork, whatever break-glass says: untrusted or unreviewed code never
reaches prod. Break-glass (`--break-glass REASON` or BUNDLEOPS_BREAK_GLASS) lifts only the
branch/tag/local conditions, for an emergency fix from a hotfix branch, and is logged loudly.
"""

from __future__ import annotations

from bundleops.config import ProjectConfig
from bundleops.context.model import CIContext
from bundleops.errors import BundleopsError, ExitCode
from bundleops.plan.planner import is_default_branch, is_release_tag

BREAK_GLASS_ENV = "BUNDLEOPS_BREAK_GLASS"
PROD = "prod"


def prod_refusal(context: CIContext, config: ProjectConfig) -> tuple[str, bool] | None:
    """Why prod is refused (and whether break-glass may lift it), or None when it is allowed."""
    if context.event == "pull_request" or context.is_fork:
        return "prod is never deployed from a pull request or a fork", False
    if context.vendor == "local":
        return "prod is deployed only from CI, not from a developer's shell", True
    if context.event in ("push", "manual") and is_default_branch(context.branch, context):
        return None
    if context.event == "tag" and is_release_tag(context.tag, config):
        return None
    return (
        f"prod needs a push or manual run on the default branch ({context.default_branch}) "
        f"or a tag matching {config.release_tag_pattern!r}"
    ), True


def check_target(target: str | None, context: CIContext, config: ProjectConfig, break_glass: str | None = None) -> str | None:
    """Raise (exit 2) when the target is refused; return a loud warning when break-glass was used."""
    if target != PROD:
        return None
    refusal = prod_refusal(context, config)
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
