"""Evaluate the promotion table against a CI context."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import asdict, dataclass
from typing import Any, Sequence

from bundleops.config import ROLES, ProjectConfig, Rule, RuleCondition
from bundleops.context.model import EVENTS, PULL_REQUEST_STATES, CIContext
from bundleops.context.vendor import VENDORS
from bundleops.deployments import naming
from bundleops.errors import BundleopsError
from bundleops.plan.rules import DEFAULT_BRANCH, DEFAULT_RULES, RELEASE_TAG, STEP_NAMES


@dataclass(frozen=True)
class Plan:
    target: str | None
    steps: list[str]
    requires_approval: bool
    reason: str
    # The pull request's own deployment of the target (bundleops.deployments.naming), None: the shared one.
    deployment: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def rules_for(config: ProjectConfig) -> Sequence[Rule]:
    rules = DEFAULT_RULES if config.rules is None else tuple(config.rules)
    for rule in rules:
        _check_rule(rule, config.source or "bundleops.yml")
    return rules


def roles_that_test(config: ProjectConfig) -> set[str]:
    """The roles some rule runs the integration tests on: only there must the bundle have a test job."""
    return {rule.target for rule in rules_for(config) if rule.target is not None and "test" in rule.steps}


def make_plan(context: CIContext, config: ProjectConfig) -> Plan:
    for rule in rules_for(config):
        if matches(rule.when, context, config):
            deployment = naming.for_context(context, rule.target, config)
            return Plan(rule.target, list(rule.steps), rule.requires_approval, f"rule {rule.name!r}: {context.describe()}", deployment)
    return Plan(None, [], False, f"no rule matched: {context.describe()}")


def matches(when: RuleCondition, context: CIContext, config: ProjectConfig) -> bool:
    checks = (
        when.vendor is None or context.vendor in when.vendor,
        when.event is None or context.event in when.event,
        when.fork is None or context.is_fork == when.fork,
        when.pull_request_state is None or context.pull_request_state == when.pull_request_state,
        _branch_matches(when.branch, context.branch, context),
        _branch_matches(when.target_branch, context.target_branch, context),
        _tag_matches(when.tag, context.tag, config),
    )
    return all(checks)


def is_default_branch(branch: str | None, context: CIContext) -> bool:
    return branch is not None and branch == context.default_branch


def is_release_tag(tag: str | None, config: ProjectConfig) -> bool:
    return tag is not None and re.search(config.release_tag_pattern, tag) is not None


def _branch_matches(pattern: str | None, branch: str | None, context: CIContext) -> bool:
    if pattern is None:
        return True
    if pattern == DEFAULT_BRANCH:
        return is_default_branch(branch, context)
    return branch is not None and fnmatch.fnmatchcase(branch, pattern)


def _tag_matches(pattern: str | None, tag: str | None, config: ProjectConfig) -> bool:
    if pattern is None:
        return True
    if pattern == RELEASE_TAG:
        return is_release_tag(tag, config)
    return tag is not None and fnmatch.fnmatchcase(tag, pattern)


def _check_rule(rule: Rule, source: str) -> None:
    """Values the schema's types cannot express: names of steps, targets, vendors and events."""
    problems = [f"step {s!r}" for s in rule.steps if s not in STEP_NAMES]
    if rule.target is not None and rule.target not in ROLES:
        problems.append(f"target {rule.target!r}")
    problems += [f"vendor {v!r}" for v in rule.when.vendor or () if v not in VENDORS]
    problems += [f"event {e!r}" for e in rule.when.event or () if e not in EVENTS]
    if rule.when.pull_request_state not in (None, *PULL_REQUEST_STATES):
        problems.append(f"pull_request_state {rule.when.pull_request_state!r}")
    if problems:
        raise BundleopsError(
            f"{source}: rule {rule.name!r} names an unknown {', '.join(problems)}",
            fix=f"steps: {', '.join(STEP_NAMES)}; targets (roles): {', '.join(ROLES)} or null; "
            f"vendors: {', '.join(VENDORS)}; events: {', '.join(EVENTS)}; pull_request_state: {', '.join(PULL_REQUEST_STATES)}",
        )
    acting = "deploys or tests" if {"deploy", "test"} & set(rule.steps) else "destroys" if "destroy" in rule.steps else None
    if acting and rule.target is None:
        raise BundleopsError(f"{source}: rule {rule.name!r} {acting} but has no target", fix="set target: dev, staging or prod")
