"""The default promotion table. First matching rule wins; a project replaces it with `rules:` in bundleops.yml.

A rule's target is a role (dev, staging, prod); `targets:` in bundleops.yml names the bundle target of each.

| rule                     | when                                        | target  | steps                                   | approval |
|--------------------------|---------------------------------------------|---------|-----------------------------------------|----------|
| local-shell              | a developer's shell                         | dev     | unit, validate                          | no       |
| pull-request-closed      | a pull request (not a fork's) closed/merged | staging | destroy                                 | no       |
| fork-pull-request        | pull request from a fork                    | -       | unit                                    | no       |
| pull-request-to-default  | pull request into the default branch        | staging | unit, validate, preview, deploy, test, publish | no |
| pull-request             | any other pull request                      | dev     | unit, validate                          | no       |
| release-tag              | tag matching release_tag_pattern            | prod    | unit, validate, preview, deploy, publish | yes     |
| default-branch           | push or manual run on the default branch    | prod    | unit, validate, preview, deploy, publish | yes     |
| other-branch             | push or manual run on any other branch      | dev     | unit, validate                          | no       |
| fallback                 | anything else (other tags, schedules)       | -       | unit                                    | no       |

A pull request's run on staging acts on the pull request's own deployment (`pr-<number>`, see
bundleops.deployments.naming); `pull-request-closed` destroys it when the CI reports the close
(GitHub `pull_request` action `closed`, GitLab's environment stop job). A fork's pull request
never deployed, so its close falls through to the fork rule.
"""

from __future__ import annotations

from bundleops.config import Rule, RuleCondition

STEP_NAMES = ("unit", "validate", "preview", "deploy", "test", "publish", "destroy")
DEFAULT_BRANCH = "@default"
RELEASE_TAG = "@release"

DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("local-shell", RuleCondition(vendor=["local"]), "dev", ["unit", "validate"]),
    Rule("pull-request-closed", RuleCondition(event=["pull_request"], fork=False, pull_request_state="closed"), "staging", ["destroy"]),
    Rule("fork-pull-request", RuleCondition(event=["pull_request"], fork=True), None, ["unit"]),
    Rule(
        "pull-request-to-default",
        RuleCondition(event=["pull_request"], target_branch=DEFAULT_BRANCH),
        "staging",
        ["unit", "validate", "preview", "deploy", "test", "publish"],
    ),
    Rule("pull-request", RuleCondition(event=["pull_request"]), "dev", ["unit", "validate"]),
    Rule("release-tag", RuleCondition(event=["tag"], tag=RELEASE_TAG), "prod", ["unit", "validate", "preview", "deploy", "publish"], True),
    Rule(
        "default-branch",
        RuleCondition(event=["push", "manual"], branch=DEFAULT_BRANCH),
        "prod",
        ["unit", "validate", "preview", "deploy", "publish"],
        True,
    ),
    Rule("other-branch", RuleCondition(event=["push", "manual"]), "dev", ["unit", "validate"]),
    Rule("fallback", RuleCondition(), None, ["unit"]),
)
