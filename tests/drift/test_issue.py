"""The drift issue on GitHub's and GitLab's issue APIs (the loopback stand-in, real HTTP).

One issue per bundle and target: opened when drift appears, its body edited (never a second issue)
while the drift lasts, commented on and closed once it is gone. Other people's issues, and on
GitHub the pull requests the issue list also returns, are never touched, even when their text
carries the marker. What a UI edit wrote stays text in the issue.
"""

from __future__ import annotations

import json
from typing import Iterator

import pytest

from bundleops.drift import issue, report
from bundleops.drift.classify import classify
from bundleops.preview import plan_json
from tests.support.pr_comments_standin import PullRequestComments
from tests.untrusted.test_hostile_text import HOSTILE, assert_inert

VENDORS = ("github", "gitlab")
KEY = "shop/prod"
MARKER = "<!-- bundleops-drift shop/prod -->"


@pytest.fixture
def apis() -> Iterator[PullRequestComments]:
    standin = PullRequestComments().start()
    yield standin
    standin.stop()


def environment(vendor: str, standin: PullRequestComments) -> dict[str, str]:
    if vendor == "github":
        return {"GITHUB_API_URL": standin.url, "GITHUB_REPOSITORY": "acme/orders", "GITHUB_TOKEN": standin.token}
    return {"CI_API_V4_URL": f"{standin.url}/api/v4", "CI_PROJECT_ID": "77", "BUNDLEOPS_GITLAB_TOKEN": standin.token}


def api_of(vendor: str, standin: PullRequestComments) -> issue.Issues:
    api = issue.issues_for(vendor, environment(vendor, standin), "Drift in shop prod: changed outside a deploy")
    assert isinstance(api, issue.Issues)
    return api


def drift_report(value: str) -> str:
    """The report of a job renamed `value` and given a tag `value` in the workspace, and a deleted job named `value`."""
    document = {"plan_version": 2, "cli_version": "0.290.0", "lineage": "l", "serial": 2, "plan": {
        f"resources.jobs.{value}": {"action": "update", "remote_state": {"name": value}, "changes": {
            "name": {"action": "update", "old": "nightly", "new": "nightly", "remote": value},
            f"tags['{value}']": {"action": "update", "remote": value},
        }},
        "resources.jobs.gone": {"action": "create", "new_state": {"value": {"name": value}}},
    }}
    drift = classify(plan_json.parse(json.dumps(document), "test plan"), {"jobs": {"gone": {"id": "1"}}})
    subject = report.Subject(value, "prod", value, "3" * 40, "2" * 40, "2026-12-05T01:00:00Z", run_url=value)
    return report.markdown(drift, subject, limit=65_000, report_path="drift-prod.json")


@pytest.mark.parametrize("vendor", VENDORS)
def test_one_issue_is_opened_updated_and_closed(vendor: str, apis: PullRequestComments) -> None:
    theirs = apis.add_issue(vendor, "Nightly is slow", "someone else's issue")
    if vendor == "github":  # a pull request quoting the marker: the issue list returns it, and it must stay as it is
        apis.add_issue(vendor, "Fix drift", f"quoting {MARKER}", pull_request=True)
    api = api_of(vendor, apis)

    first = issue.sync(api, KEY, drift_report("first"), "closing")
    [ours] = [number for number, found in apis.issues[vendor].items() if found["body"].startswith(MARKER)]
    assert first.startswith("drift issue opened: ") and first.endswith(f"/issues/{ours}")
    second = issue.sync(api, KEY, drift_report("second"), "closing")
    assert second.startswith("drift issue updated: ")
    assert [number for number, found in apis.issues[vendor].items() if found["body"].startswith(MARKER)] == [ours]  # not duplicated
    assert "second" in apis.issues[vendor][ours]["body"] and "first" not in apis.issues[vendor][ours]["body"]

    closed = issue.sync(api, KEY, None, "No drift found any more.")
    assert closed.startswith("drift issue closed: ")
    assert apis.issues[vendor][ours]["state"] == "closed" and apis.issue_comments(vendor, ours) == ["No drift found any more."]
    assert issue.sync(api, KEY, None, "No drift found any more.") == "no drift, and no drift issue is open"
    assert apis.issues[vendor][theirs] == {**apis.issues[vendor][theirs], "body": "someone else's issue", "state": "opened" if vendor == "gitlab" else "open"}
    if vendor == "github":
        assert [found["body"] for found in apis.issues[vendor].values() if found["pull_request"]] == [f"quoting {MARKER}"]

    reopened = issue.sync(api, KEY, drift_report("third"), "closing")  # drift again: a new episode, a new issue
    assert reopened.startswith("drift issue opened: ") and not reopened.endswith(f"/issues/{ours}")


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_listing_is_followed_past_its_first_page(vendor: str, apis: PullRequestComments) -> None:
    api = api_of(vendor, apis)
    issue.sync(api, KEY, drift_report("first"), "closing")
    for number in range(5):
        apis.add_issue(vendor, f"other {number}", "not ours")  # newer issues come first in the listing
    apis.page_size = 2
    assert issue.sync(api, KEY, drift_report("second"), "closing").startswith("drift issue updated: ")
    assert sum(found["body"].startswith(MARKER) for found in apis.issues[vendor].values()) == 1


def test_without_a_token_or_on_another_ci_there_is_no_issue() -> None:
    assert issue.issues_for("github", {}, "t") == f"no drift issue: GITHUB_TOKEN is not set ({issue.TOKEN_FIX['github']})"
    assert issue.issues_for("azure", {"SYSTEM_ACCESSTOKEN": "x"}, "t").startswith("no drift issue on azure: bundleops opens issues on GitHub and GitLab only")


def test_a_wrong_token_is_an_http_error() -> None:
    import requests

    standin = PullRequestComments().start()
    try:
        api = issue.issues_for("github", {**environment("github", standin), "GITHUB_TOKEN": "wrong"}, "t")
        assert isinstance(api, issue.Issues)
        with pytest.raises(requests.HTTPError):
            issue.sync(api, KEY, "report", "closing")
    finally:
        standin.stop()


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("vendor", VENDORS)
def test_what_a_ui_edit_wrote_stays_text_in_the_issue(vendor: str, name: str, apis: PullRequestComments) -> None:
    api = api_of(vendor, apis)
    stored = {}
    for label, value in (("benign", "benignvalue"), ("hostile", HOSTILE[name])):
        issue.sync(api, f"{KEY}-{label}", drift_report(value), "closing")
        [stored[label]] = [found["body"] for found in apis.issues[vendor].values() if found["body"].startswith(f"<!-- bundleops-drift {KEY}-{label} -->")]
    assert_inert(stored["benign"].replace("-benign", ""), stored["hostile"].replace("-hostile", ""), HOSTILE[name], f"the {vendor} drift issue")
