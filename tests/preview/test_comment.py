"""The pull-request comment through each CI's API, against the loopback stand-in (real HTTP, requests)."""

from __future__ import annotations

from typing import Iterator

import pytest
import requests

from bundleops.preview import comment
from tests.support.pr_comments_standin import PullRequestComments

PR = 42


@pytest.fixture
def apis() -> Iterator[PullRequestComments]:
    standin = PullRequestComments().start()
    yield standin
    standin.stop()


def environment(vendor: str, base: str, token: str) -> dict[str, str]:
    """Each CI's own variables (the names its documentation gives), pointed at the stand-in."""
    return {
        "github": {"GITHUB_API_URL": base, "GITHUB_REPOSITORY": "acme/orders", "GITHUB_TOKEN": token},
        "gitlab": {"CI_API_V4_URL": f"{base}/api/v4", "CI_PROJECT_ID": "77", "BUNDLEOPS_GITLAB_TOKEN": token},
        "azure": {"SYSTEM_COLLECTIONURI": f"{base}/acme/", "SYSTEM_TEAMPROJECTID": "data-platform", "BUILD_REPOSITORY_ID": "repo-1",
                  "BUILD_REPOSITORY_PROVIDER": "TfsGit", "SYSTEM_PULLREQUEST_PULLREQUESTID": str(PR), "SYSTEM_ACCESSTOKEN": token},
        "bitbucket": {"BUNDLEOPS_BITBUCKET_API_URL": f"{base}/2.0", "BITBUCKET_REPO_FULL_NAME": "acme/orders", "BUNDLEOPS_BITBUCKET_TOKEN": token},
    }[vendor]


@pytest.mark.parametrize("vendor", ["github", "gitlab", "azure", "bitbucket"])
def test_one_comment_per_target_updated_in_place(vendor: str, apis: PullRequestComments) -> None:
    apis.page_size = 2  # our comment sits on a later page
    for number in range(5):
        apis.add(vendor, PR, f"a reviewer's remark {number}")
    api = comment.comments_for(vendor, environment(vendor, apis.url, apis.token), PR)
    assert isinstance(api, comment.Comments)

    assert comment.publish(api, "orders/staging", "Plan: 1 to add") == f"pull-request comment created ({vendor})"
    assert comment.publish(api, "orders/staging", "Plan: 0 to add, 1 to change") == f"pull-request comment updated in place ({vendor})"
    assert comment.publish(api, "orders/prod", "Plan: 2 to add") == f"pull-request comment created ({vendor})"

    texts = apis.texts(vendor, PR)
    assert texts[:5] == [f"a reviewer's remark {number}" for number in range(5)]
    assert texts[5:] == ["<!-- bundleops-preview orders/staging -->\nPlan: 0 to add, 1 to change", "<!-- bundleops-preview orders/prod -->\nPlan: 2 to add"]
    assert sum(1 for line in apis.requests if not line.startswith("GET")) == 3


@pytest.mark.parametrize("vendor", ["github", "gitlab", "azure", "bitbucket"])
def test_a_wrong_token_is_an_http_error_and_nothing_is_written(vendor: str, apis: PullRequestComments) -> None:
    api = comment.comments_for(vendor, environment(vendor, apis.url, "not-the-token-000000"), PR)
    assert isinstance(api, comment.Comments)
    with pytest.raises(requests.HTTPError) as caught:
        comment.publish(api, "orders/staging", "Plan")
    assert caught.value.response.status_code == 401 and apis.texts(vendor, PR) == []


@pytest.mark.parametrize(("vendor", "variable"), [("github", "GITHUB_TOKEN"), ("gitlab", "BUNDLEOPS_GITLAB_TOKEN"), ("azure", "SYSTEM_ACCESSTOKEN"), ("bitbucket", "BUNDLEOPS_BITBUCKET_TOKEN")])
def test_without_a_token_it_says_which_variable_and_how(vendor: str, variable: str, apis: PullRequestComments) -> None:
    env = {key: value for key, value in environment(vendor, apis.url, apis.token).items() if key != variable}
    reason = comment.comments_for(vendor, env, PR)
    assert isinstance(reason, str) and reason.startswith(f"no pull-request comment: {variable} is not set (")
    assert apis.requests == []


def test_no_comment_on_jenkins_outside_pull_requests_or_on_github_hosted_azure_builds(apis: PullRequestComments) -> None:
    assert comment.comments_for("jenkins", {}, PR) == ("no pull-request comment on jenkins: it offers no pull-request comment through a CI token "
                                                       "(the job summary has the plan)")
    assert comment.comments_for("github", environment("github", apis.url, apis.token), None) == "no pull-request comment: this run is not for a pull request"
    azure_on_github = {**environment("azure", apis.url, apis.token), "BUILD_REPOSITORY_PROVIDER": "GitHub"}
    assert "Azure Repos only" in str(comment.comments_for("azure", azure_on_github, PR))


def test_a_secret_in_the_body_is_masked_before_it_leaves(apis: PullRequestComments) -> None:
    from bundleops.output.redact import register_secret

    register_secret("dapi-0123456789abcdef-SECRET")
    api = comment.comments_for("github", environment("github", apis.url, apis.token), PR)
    assert isinstance(api, comment.Comments)
    comment.publish(api, "orders/staging", "token dapi-0123456789abcdef-SECRET leaked")
    assert apis.texts("github", PR) == ["<!-- bundleops-preview orders/staging -->\ntoken *** leaked"]
