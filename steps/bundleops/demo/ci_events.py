"""How each CI system announces the demo's events: its predefined variables, as data.

The demo plays one CI system's part (`bundleops demo --ci X`). Each step process gets the
variables that CI sets for the event, read by the same `bundleops.context.<vendor>` reader as in
a real job, so the plan, the prod guard, the deployment record and the log commands are that CI's.
The events are the same on every CI: a pull request opened into the default branch, the pull
request closed after its merge, and the push of the merge to the default branch.

A template value is text with `{number}`, `{branch}`, `{sha}`, `{default}` and `{run}` in it; a
value that is exactly one placeholder takes the value as it is (a pull-request number stays a
number in GitHub's JSON payload). Only templates are formatted: a branch name is data, never a
format string, whatever braces it holds.

Where a CI runs nothing when a pull request closes (Azure Pipelines, Jenkins, Bitbucket), `closed`
is None: there the deployment of a closed pull request is removed by the scheduled sweep
(docs/pull-request-deployments.md), which the demo plays with the CI's `schedule` event instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

DEFAULT_BRANCH = "main"
_WHOLE_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class EventTemplate:
    """The variables of one event, and (GitHub) the event payload the runner writes to a file."""

    variables: dict[str, str]
    payload: dict[str, Any] | None = None
    note: str = ""  # what runs the job, where the title should say (GitLab's stop job)


@dataclass(frozen=True)
class CiSystem:
    key: str  # the --ci choice and the bundleops.context vendor
    name: str
    change: str  # what the CI calls a pull request
    mark: str  # how it numbers one: #1, !1
    common: dict[str, str]  # set in every job
    pull_request: EventTemplate
    push: EventTemplate
    closed: EventTemplate | None = None  # added to pull_request when it closes; None: the CI runs nothing then
    schedule: EventTemplate | None = None  # the scheduled sweep's pipeline, where `closed` is None
    manual: EventTemplate | None = None  # a run started by hand on a branch; None: the CI's context reads it as a push
    payload_variable: str | None = None  # where the runner puts the path of the payload file

    def ref(self, number: int) -> str:
        """A pull request as the CI writes it: `#1`, `!1`."""
        return f"{self.mark}{number}"


def fill(template: Any, values: Mapping[str, Any]) -> Any:
    """The template with the values in; nested dicts and lists too, a whole placeholder keeps its value's type."""
    if isinstance(template, dict):
        return {key: fill(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill(value, values) for value in template]
    whole = _WHOLE_PLACEHOLDER.fullmatch(template)
    return values[whole.group(1)] if whole else template.format_map(values)


_GITHUB_REPOSITORY = {"full_name": "demo/orders_pipeline", "default_branch": "{default}"}

GITHUB = CiSystem(
    "github", "GitHub Actions", "pull request", "#",
    common={"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_REPOSITORY": "demo/orders_pipeline", "GITHUB_SERVER_URL": "http://github.local",
            "GITHUB_RUN_ID": "{run}", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_ACTOR": "dana", "GITHUB_WORKFLOW": "bundleops"},
    pull_request=EventTemplate(
        {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_REF": "refs/pull/{number}/merge", "GITHUB_REF_NAME": "{number}/merge",
         "GITHUB_REF_TYPE": "branch", "GITHUB_HEAD_REF": "{branch}", "GITHUB_BASE_REF": "{default}", "GITHUB_SHA": "{sha}"},
        {"action": "opened", "number": "{number}", "repository": _GITHUB_REPOSITORY,
         "pull_request": {"number": "{number}", "state": "open", "user": {"login": "dana"},
                          "head": {"ref": "{branch}", "sha": "{sha}", "repo": {"full_name": "demo/orders_pipeline"}},
                          "base": {"ref": "{default}", "repo": _GITHUB_REPOSITORY}}},
    ),
    closed=EventTemplate({}, {"action": "closed"}, "pull_request closed event"),
    push=EventTemplate(
        {"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/{branch}", "GITHUB_REF_NAME": "{branch}", "GITHUB_REF_TYPE": "branch",
         "GITHUB_HEAD_REF": "", "GITHUB_BASE_REF": "", "GITHUB_SHA": "{sha}"},
        {"ref": "refs/heads/{branch}", "after": "{sha}", "repository": _GITHUB_REPOSITORY},
    ),
    manual=EventTemplate(
        {"GITHUB_EVENT_NAME": "workflow_dispatch", "GITHUB_REF": "refs/heads/{branch}", "GITHUB_REF_NAME": "{branch}", "GITHUB_REF_TYPE": "branch",
         "GITHUB_HEAD_REF": "", "GITHUB_BASE_REF": "", "GITHUB_SHA": "{sha}"},
        {"ref": "refs/heads/{branch}", "repository": _GITHUB_REPOSITORY, "inputs": {}}, "workflow_dispatch",
    ),
    payload_variable="GITHUB_EVENT_PATH",
)

GITLAB = CiSystem(
    "gitlab", "GitLab CI", "merge request", "!",
    common={"GITLAB_CI": "true", "CI": "true", "CI_PROJECT_ID": "1001", "CI_DEFAULT_BRANCH": "{default}", "GITLAB_USER_LOGIN": "dana",
            "CI_PIPELINE_URL": "http://gitlab.local/demo/orders_pipeline/-/pipelines/{run}"},
    pull_request=EventTemplate(
        {"CI_PIPELINE_SOURCE": "merge_request_event", "CI_MERGE_REQUEST_IID": "{number}", "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "{branch}",
         "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "{default}", "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": "{sha}", "CI_MERGE_REQUEST_PROJECT_ID": "1001",
         "CI_MERGE_REQUEST_SOURCE_PROJECT_ID": "1001", "CI_COMMIT_SHA": "{sha}"},
    ),
    # The environment's `on_stop` job, which GitLab runs when the merge request is merged or closed.
    closed=EventTemplate({"CI_ENVIRONMENT_ACTION": "stop"}, note="stop job"),
    push=EventTemplate({"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_BRANCH": "{branch}", "CI_COMMIT_SHA": "{sha}"}),
    manual=EventTemplate({"CI_PIPELINE_SOURCE": "web", "CI_COMMIT_BRANCH": "{branch}", "CI_COMMIT_SHA": "{sha}"}, note="Run pipeline"),
)

AZURE = CiSystem(
    "azure", "Azure Pipelines", "pull request", "#",
    common={"TF_BUILD": "True", "SYSTEM_COLLECTIONURI": "http://azure.local/demo/", "SYSTEM_TEAMPROJECT": "orders_pipeline",
            "BUILD_BUILDID": "{run}", "BUILD_REQUESTEDFOR": "Dana Dev", "BUILD_REPOSITORY_PROVIDER": "TfsGit"},
    pull_request=EventTemplate(
        {"BUILD_REASON": "PullRequest", "BUILD_SOURCEBRANCH": "refs/pull/{number}/merge", "BUILD_SOURCEVERSION": "{sha}",
         "SYSTEM_PULLREQUEST_SOURCEBRANCH": "refs/heads/{branch}", "SYSTEM_PULLREQUEST_TARGETBRANCH": "refs/heads/{default}",
         "SYSTEM_PULLREQUEST_PULLREQUESTID": "{number}", "SYSTEM_PULLREQUEST_SOURCECOMMITID": "{sha}", "SYSTEM_PULLREQUEST_ISFORK": "False"},
    ),
    push=EventTemplate({"BUILD_REASON": "IndividualCI", "BUILD_SOURCEBRANCH": "refs/heads/{branch}", "BUILD_SOURCEVERSION": "{sha}"}),
    schedule=EventTemplate({"BUILD_REASON": "Schedule", "BUILD_SOURCEBRANCH": "refs/heads/{branch}", "BUILD_SOURCEVERSION": "{sha}"},
                           note="the nightly pipeline extending azure/bundleops-sweep.yml"),
    manual=EventTemplate({"BUILD_REASON": "Manual", "BUILD_SOURCEBRANCH": "refs/heads/{branch}", "BUILD_SOURCEVERSION": "{sha}"}, note="Run pipeline"),
)

JENKINS = CiSystem(
    "jenkins", "Jenkins", "pull request", "#",
    common={"JENKINS_URL": "http://jenkins.local/", "BUILD_NUMBER": "{run}"},
    # A multibranch pipeline names a pull request's job PR-<n>; the branch is in CHANGE_BRANCH.
    pull_request=EventTemplate(
        {"BRANCH_NAME": "PR-{number}", "CHANGE_ID": "{number}", "CHANGE_BRANCH": "{branch}", "CHANGE_TARGET": "{default}",
         "CHANGE_AUTHOR": "dana", "GIT_COMMIT": "{sha}", "BUILD_URL": "http://jenkins.local/job/orders_pipeline/job/PR-{number}/{run}/"},
    ),
    push=EventTemplate({"BRANCH_NAME": "{branch}", "GIT_COMMIT": "{sha}", "BUILD_URL": "http://jenkins.local/job/orders_pipeline/job/{branch}/{run}/"}),
    # The sweep is a plain Pipeline job on a timer (docs/jenkins.md), checked out at the default branch.
    schedule=EventTemplate({"BRANCH_NAME": "{branch}", "GIT_COMMIT": "{sha}", "BUILD_URL": "http://jenkins.local/job/orders_pipeline-sweep/{run}/"},
                           note="the Jenkinsfile.sweep job on its timer"),
)

BITBUCKET = CiSystem(
    "bitbucket", "Bitbucket Pipelines", "pull request", "#",
    common={"CI": "true", "BITBUCKET_BUILD_NUMBER": "{run}", "BITBUCKET_REPO_FULL_NAME": "demo/orders_pipeline", "BITBUCKET_WORKSPACE": "demo",
            "BITBUCKET_STEP_TRIGGERER_UUID": "{{dana-uuid}}"},
    pull_request=EventTemplate({"BITBUCKET_PR_ID": "{number}", "BITBUCKET_BRANCH": "{branch}", "BITBUCKET_PR_DESTINATION_BRANCH": "{default}", "BITBUCKET_COMMIT": "{sha}"}),
    push=EventTemplate({"BITBUCKET_BRANCH": "{branch}", "BITBUCKET_COMMIT": "{sha}"}),
    # The custom pipeline `bundleops-sweep`, run from a schedule on the default branch (docs/bitbucket.md).
    schedule=EventTemplate({"BITBUCKET_BRANCH": "{branch}", "BITBUCKET_COMMIT": "{sha}"}, note="the custom pipeline bundleops-sweep on its schedule"),
)

SYSTEMS: dict[str, CiSystem] = {ci.key: ci for ci in (GITHUB, GITLAB, AZURE, JENKINS, BITBUCKET)}
