"""Realistic CI environments, built from each vendor's documented predefined variables.

Six scenarios on every vendor: a pull request into the default branch, a pull request from a
fork, a push to the default branch, a push to another branch, a release tag, a manual run on
the default branch. The same people, branches and commits everywhere, so the expectations
read as one table.
"""

from __future__ import annotations

import json
from pathlib import Path

SCENARIOS = ("pull_request", "fork_pull_request", "push_default", "push_other", "tag", "manual")
VENDORS = ("github", "azure", "gitlab", "jenkins", "bitbucket")

FEATURE = "feature/new-orders"
HEAD_SHA = "1" * 40  # the pull request's head commit
MERGE_SHA = "2" * 40  # the merge commit GitHub / Azure / GitLab check out for a pull request
PUSH_SHA = "3" * 40
TAG = "v1.4.0"
PR = 42


def github(scenario: str, tmp: Path) -> dict[str, str]:
    env = {
        "GITHUB_ACTIONS": "true",
        "CI": "true",
        "GITHUB_REPOSITORY": "acme/orders",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "9001",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_ACTOR": "dana",
        "GITHUB_WORKFLOW": "bundleops",
    }
    repository = {"full_name": "acme/orders", "default_branch": "main"}
    if scenario in ("pull_request", "fork_pull_request"):
        head_repo = "someone/orders" if scenario == "fork_pull_request" else "acme/orders"
        payload = {
            "action": "synchronize",
            "number": PR,
            "pull_request": {
                "number": PR,
                "title": "Add new orders",
                "user": {"login": "dana"},
                "head": {"ref": FEATURE, "sha": HEAD_SHA, "repo": {"full_name": head_repo, "fork": head_repo != "acme/orders"}},
                "base": {"ref": "main", "sha": "4" * 40, "repo": repository},
            },
            "repository": repository,
        }
        env.update(
            GITHUB_EVENT_NAME="pull_request",
            GITHUB_REF=f"refs/pull/{PR}/merge",
            GITHUB_REF_NAME=f"{PR}/merge",
            GITHUB_REF_TYPE="branch",
            GITHUB_HEAD_REF=FEATURE,
            GITHUB_BASE_REF="main",
            GITHUB_SHA=MERGE_SHA,
        )
    else:
        ref_name, ref_type = {"push_default": ("main", "branch"), "push_other": (FEATURE, "branch"), "tag": (TAG, "tag"), "manual": ("main", "branch")}[scenario]
        prefix = "refs/tags/" if ref_type == "tag" else "refs/heads/"
        payload = {"ref": prefix + ref_name, "repository": repository}
        env.update(
            GITHUB_EVENT_NAME="workflow_dispatch" if scenario == "manual" else "push",
            GITHUB_REF=prefix + ref_name,
            GITHUB_REF_NAME=ref_name,
            GITHUB_REF_TYPE=ref_type,
            GITHUB_HEAD_REF="",  # GitHub sets these, empty, on non-PR events
            GITHUB_BASE_REF="",
            GITHUB_SHA=PUSH_SHA,
        )
    event_file = tmp / "github-event.json"
    event_file.write_text(json.dumps(payload), encoding="utf-8")
    env["GITHUB_EVENT_PATH"] = str(event_file)
    return env


def azure(scenario: str, tmp: Path) -> dict[str, str]:
    env = {
        "TF_BUILD": "True",
        "SYSTEM_COLLECTIONURI": "https://dev.azure.com/acme/",
        "SYSTEM_TEAMPROJECT": "Data Platform",
        "BUILD_BUILDID": "9001",
        "BUILD_REQUESTEDFOR": "Dana Dev",
        "BUILD_REPOSITORY_PROVIDER": "TfsGit",
    }
    if scenario in ("pull_request", "fork_pull_request"):
        env.update(
            BUILD_REASON="PullRequest",
            BUILD_SOURCEBRANCH=f"refs/pull/{PR}/merge",
            BUILD_SOURCEBRANCHNAME="merge",
            BUILD_SOURCEVERSION=MERGE_SHA,
            SYSTEM_PULLREQUEST_SOURCEBRANCH=f"refs/heads/{FEATURE}",
            SYSTEM_PULLREQUEST_TARGETBRANCH="refs/heads/main",
            SYSTEM_PULLREQUEST_PULLREQUESTID=str(PR),
            SYSTEM_PULLREQUEST_SOURCECOMMITID=HEAD_SHA,
            SYSTEM_PULLREQUEST_ISFORK="False",
        )
        if scenario == "fork_pull_request":
            # Forks exist only for GitHub-hosted repositories: there the PR number and the
            # internal PR id differ.
            env.update(
                BUILD_REPOSITORY_PROVIDER="GitHub",
                SYSTEM_PULLREQUEST_PULLREQUESTID="1735592961",
                SYSTEM_PULLREQUEST_PULLREQUESTNUMBER=str(PR),
                SYSTEM_PULLREQUEST_TARGETBRANCH="main",
                SYSTEM_PULLREQUEST_ISFORK="True",
            )
        return env
    branch_ref = {"push_default": "refs/heads/main", "push_other": f"refs/heads/{FEATURE}", "tag": f"refs/tags/{TAG}", "manual": "refs/heads/main"}[scenario]
    env.update(
        BUILD_REASON="Manual" if scenario == "manual" else "IndividualCI",
        BUILD_SOURCEBRANCH=branch_ref,
        BUILD_SOURCEBRANCHNAME=branch_ref.rsplit("/", 1)[1],  # only the last segment: a trap
        BUILD_SOURCEVERSION=PUSH_SHA,
    )
    return env


def gitlab(scenario: str, tmp: Path) -> dict[str, str]:
    env = {
        "GITLAB_CI": "true",
        "CI": "true",
        "CI_PROJECT_ID": "100",
        "CI_PROJECT_PATH": "acme/orders",
        "CI_DEFAULT_BRANCH": "main",
        "CI_PIPELINE_URL": "https://gitlab.com/acme/orders/-/pipelines/9001",
        "GITLAB_USER_LOGIN": "dana",
    }
    if scenario in ("pull_request", "fork_pull_request"):
        # Merged-results pipeline: CI_COMMIT_SHA is the merge commit, and no CI_COMMIT_BRANCH.
        env.update(
            CI_PIPELINE_SOURCE="merge_request_event",
            CI_COMMIT_SHA=MERGE_SHA,
            CI_COMMIT_REF_NAME=FEATURE,
            CI_MERGE_REQUEST_IID=str(PR),
            CI_MERGE_REQUEST_SOURCE_BRANCH_NAME=FEATURE,
            CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main",
            CI_MERGE_REQUEST_SOURCE_BRANCH_SHA=HEAD_SHA,
            CI_MERGE_REQUEST_PROJECT_ID="100",
            CI_MERGE_REQUEST_SOURCE_PROJECT_ID="555" if scenario == "fork_pull_request" else "100",
            CI_MERGE_REQUEST_TITLE="Add new orders",
        )
        return env
    env.update(CI_PIPELINE_SOURCE="web" if scenario == "manual" else "push", CI_COMMIT_SHA=PUSH_SHA)
    if scenario == "tag":
        env.update(CI_COMMIT_TAG=TAG, CI_COMMIT_REF_NAME=TAG)
    else:
        branch = FEATURE if scenario == "push_other" else "main"
        env.update(CI_COMMIT_BRANCH=branch, CI_COMMIT_REF_NAME=branch)
    return env


def jenkins(scenario: str, tmp: Path) -> dict[str, str]:
    env = {"JENKINS_URL": "https://ci.acme.example/", "JOB_NAME": "orders/main", "BUILD_NUMBER": "3"}
    if scenario in ("pull_request", "fork_pull_request"):
        env.update(
            BRANCH_NAME=f"PR-{PR}",
            CHANGE_ID=str(PR),
            CHANGE_BRANCH=FEATURE,
            CHANGE_TARGET="main",
            CHANGE_AUTHOR="dana",
            CHANGE_TITLE="Add new orders",
            GIT_COMMIT=HEAD_SHA,
            BUILD_URL=f"https://ci.acme.example/job/orders/job/PR-{PR}/3/",
        )
        if scenario == "fork_pull_request":
            env["CHANGE_FORK"] = "someone"
        return env
    name = {"push_default": "main", "push_other": FEATURE, "tag": TAG, "manual": "main"}[scenario]
    env.update(BRANCH_NAME=name, GIT_COMMIT=PUSH_SHA, BUILD_URL=f"https://ci.acme.example/job/orders/job/{name}/3/")
    if scenario == "tag":
        env["TAG_NAME"] = TAG
    return env


def bitbucket(scenario: str, tmp: Path) -> dict[str, str]:
    env = {
        "CI": "true",
        "BITBUCKET_BUILD_NUMBER": "9001",
        "BITBUCKET_REPO_FULL_NAME": "acme/orders",
        "BITBUCKET_WORKSPACE": "acme",
        "BITBUCKET_STEP_TRIGGERER_UUID": "{dana-uuid}",
    }
    if scenario in ("pull_request", "fork_pull_request"):
        env.update(BITBUCKET_PR_ID=str(PR), BITBUCKET_BRANCH=FEATURE, BITBUCKET_PR_DESTINATION_BRANCH="main", BITBUCKET_COMMIT=HEAD_SHA)
        return env
    env["BITBUCKET_COMMIT"] = PUSH_SHA
    if scenario == "tag":
        env["BITBUCKET_TAG"] = TAG
    else:
        env["BITBUCKET_BRANCH"] = FEATURE if scenario == "push_other" else "main"
    return env


BUILDERS = {"github": github, "azure": azure, "gitlab": gitlab, "jenkins": jenkins, "bitbucket": bitbucket}


def environment(vendor: str, scenario: str, tmp: Path) -> dict[str, str]:
    return BUILDERS[vendor](scenario, tmp)
