"""Text a pull request controls, through every Markdown writer, onto every CI system's surface:
it shows as text and changes nothing else (issue 21).

Each writer renders twice: once with a benign marker where pull-request text goes, once with a
hostile string there. Both go onto each surface (the job summary as each CI's writer stores it,
the pull-request comment through each CI's API), and both are parsed with markdown-it-py
(CommonMark plus GFM tables). The hostile rendering must have exactly the benign one's structure
(no node added or lost: no tag, link, image, heading, list, table row or column comes from a
value), the same prose (so no mention, `#123` reference or bare URL that GitHub or GitLab would
link comes from a value: those services never link inside code), and the value itself, with
invisible characters as escapes, where the marker was.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable, Iterator

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from bundleops.context.model import CIContext
from bundleops.deploy.record import DeploymentRecord
from bundleops.deployments.age import Decision
from bundleops.deployments.store import Found
from bundleops.output import markdown as md
from bundleops.output.writers import REPORT_DIR_ENV, SUMMARY_FILE, current
from bundleops.plan.roles import TargetRef
from bundleops.preview import bitbucket_report, comment, gate, plan_json, render
from bundleops.publish import summary as publish_summary
from bundleops.publish.junit import FailedTest, Totals
from bundleops.sweep.command import markdown as sweep_markdown
from bundleops.testjob import command as testjob_command
from bundleops.validate.command import summary_markdown as validate_markdown
from tests.preview.test_comment import PR
from tests.preview.test_comment import environment as comment_environment
from tests.support.pr_comments_standin import PullRequestComments

MARKER = "benignvalue"
HOSTILE = {
    "backtick": "x`y",
    "backtick runs": "`` x`` ``` y ```` z",
    "backtick ends": "`edge`",
    "fence breakout": "`` x`` <details><summary>ok</summary> ``",
    "details": "<details><summary>ok</summary>",
    "html inline": "<img src=x onerror=alert(1)>",
    "html comment": "<!-- hidden --> -->",
    "script": "<script>alert(1)</script>",
    "pipes": "a | b | c",
    "table row": "x |\n| --- | --- |\n| forged | row",
    "newline": "line1\nline2",
    "blank line": "line1\n\n<details>\n\n# heading",
    "crlf": "a\r\n\r\n<b>b</b>",
    "mention": "@org/admins please approve",
    "references": "#123 !42 GH-7 ~label",
    "link": "[click](https://evil.example)",
    "image": "![pic](https://evil.example/x.png)",
    "autolink": "<https://evil.example>",
    "bare url": "see https://evil.example and www.evil.example",
    "javascript": "javascript:alert(1)",
    "emphasis": "*bold* _it_ ~~gone~~",
    "heading": "# Approved",
    "quote": "> [!NOTE]",
    "entities": "&lt;b&gt; &amp;",
    "backslash": "a\\|b\\`c\\",
    "zero width": "zero\u200bwidth\u2060joined",
    "rtl override": "rtl\u202eevil\u202c",
    "isolates": "\u2066isolated\u2069",
    "controls": "bell\x07nul\x00esc\x1b[31m",
    "spaces": " padded ",
    "long": "y" * 3000 + "<details>",
}


# ------------------------------------------------------------------ the writers


def _preview(value: str) -> str:
    """A pull request that renames a job to `value` and changes a field that forces a recreate."""
    key = f"resources.jobs.{value}"
    plan = plan_json.parse(json.dumps({"plan_version": 2, "cli_version": "1.13.0", "lineage": "l", "serial": 3, "plan": {
        key: {"action": "recreate", "new_state": {"value": {"name": value}}, "changes": {
            f"tasks[task_key='{value}'].new_cluster.node_type_id": {"action": "recreate", "reason": "immutable", "old": value, "new": "r5.large"},
            "name": {"action": "update", "old": "nightly", "new": value},
        }},
        "resources.jobs.kept": {"action": "update", "changes": {"description": {"action": "update", "old": value, "new": "x"}}},
    }}), "test plan")
    verdict = gate.judge(plan, auto_approve=False)
    return render.markdown(plan, title=f"bundleops preview: {md.code(value)}", verdict=verdict.markdown(), limit=65_000, plan_path="plan.json", where="a comment").markdown


def _deploy_record(value: str) -> str:
    context = CIContext(vendor="github", event="pull_request", branch=value, target_branch="main", default_branch="main", pr_number=None, author=value, sha="0" * 40)
    summary = {"bundle": {"name": value}, "workspace": {"host": "https://adb.example", "current_user": {"userName": value}},
               "resources": {"jobs": {value: {"id": 12, "name": value, "url": "https://adb.example/jobs/12"}}}}
    return DeploymentRecord.build(summary, TargetRef("staging", value), context, "1.13.0", deployment=value).markdown()


def _publish(value: str) -> str:
    failed = [FailedTest(value, value, value, value, "failure", f"assert {value!r} == 'ok'\n{value}", value, value, 3)]
    totals = Totals(3, 1, 0, 0, 0.5)
    return publish_summary.render(totals, {value: totals}, failed, None, dropped=[value], target=value)


def _test_step(value: str) -> str:
    failed = [FailedTest("integration", value, value, value, "failure", value, value)]
    return testjob_command.summary_markdown(value, 7, "https://adb.example/#job/1/run/7", "FAILED", Totals(3, 1, 0, 0, 1.0), failed)


def _sweep(value: str) -> str:
    found = Found(value, f"/Workspace/{value}", {"pr_number": 7})
    return sweep_markdown(value, [Decision(found, True, value)], [value], dry_run=False)


def _validate(value: str) -> str:
    return validate_markdown(value, {"bundle": {"name": value}, "resources": {"jobs": {value: {}}}}, 0, 0)


WRITERS: dict[str, Callable[[str], str]] = {
    "preview": _preview,
    "deployment record": _deploy_record,
    "publish summary": _publish,
    "test step summary": _test_step,
    "sweep": _sweep,
    "validate": _validate,
}


# ------------------------------------------------------------------ the surfaces

SUMMARY_ENV = {
    "github": {"GITHUB_ACTIONS": "true"},
    "azure": {"TF_BUILD": "True"},
    "gitlab": {"GITLAB_CI": "true"},
    "jenkins": {"JENKINS_URL": "https://jenkins.example/"},
    "bitbucket": {"BITBUCKET_BUILD_NUMBER": "1"},
}
COMMENT_VENDORS = ("github", "gitlab", "azure", "bitbucket")


def job_summary(vendor: str, markdown: str, folder: Path) -> str:
    """The Markdown as the vendor's writer stores the job summary (GitHub's step summary file; a file
    in the report folder that Azure uploads and the others keep as an artifact)."""
    folder.mkdir(parents=True, exist_ok=True)
    environ = {**SUMMARY_ENV[vendor], REPORT_DIR_ENV: str(folder), "GITHUB_STEP_SUMMARY": str(folder / "step-summary.md")}
    current(environ).summary(markdown)
    stored = folder / ("step-summary.md" if vendor == "github" else SUMMARY_FILE)
    return stored.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def apis() -> Iterator[PullRequestComments]:
    standin = PullRequestComments().start()
    yield standin
    standin.stop()


def pull_request_comment(vendor: str, markdown: str, key: str, apis: PullRequestComments, number: int) -> str:
    """The comment as the vendor's API stores it (through the loopback stand-in, real HTTP)."""
    api = comment.comments_for(vendor, comment_environment(vendor, apis.url, apis.token), number)
    assert isinstance(api, comment.Comments)
    comment.publish(api, key, markdown)
    (stored,) = [text for text in apis.texts(vendor, number) if text.startswith(comment.marker(key) + "\n")]
    return stored


# ------------------------------------------------------------------ the check

PARSER = MarkdownIt("commonmark").enable("table")


def flatten(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        yield from flatten(token.children or [])


def shape(text: str) -> list[tuple[str, str, str]]:
    """Every node: its type, its tag, and its text when it is prose or markup (not code)."""
    nodes = []
    for token in flatten(PARSER.parse(text)):
        kept = "" if token.type in ("code_inline", "fence", "inline") else token.content
        nodes.append((token.type, token.tag, kept + "".join(f" {name}={value}" for name, value in sorted((token.attrs or {}).items()))))
    return nodes


def code_texts(text: str) -> list[str]:
    return [token.content for token in flatten(PARSER.parse(text)) if token.type in ("code_inline", "fence")]


def assert_inert(benign: str, hostile: str, value: str, where: str) -> None:
    benign_shape, hostile_shape = shape(benign), shape(hostile)
    assert hostile_shape == benign_shape, f"{where}: the value changed the document's structure or prose\n--- benign\n{benign}\n--- hostile\n{hostile}"
    shown = md.visible(value)
    codes = code_texts(hostile)
    assert any(shown in code or md.shorten(shown, render.VALUE_CHARS) in code for code in codes) or all(
        line in "\n".join(codes) for line in (md.visible(part) for part in value.splitlines()) if line
    ), f"{where}: the value is not shown as text\n{hostile}"
    assert not md.INVISIBLE.search("".join(codes).replace("\n", "").replace("\t", "")), f"{where}: an invisible character is shown raw"


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("writer", WRITERS)
def test_hostile_text_stays_text_in_every_job_summary(writer: str, name: str, tmp_path: Path) -> None:
    value = HOSTILE[name]
    benign, hostile = WRITERS[writer](MARKER), WRITERS[writer](value)
    for vendor in SUMMARY_ENV:
        assert_inert(job_summary(vendor, benign, tmp_path / vendor / "benign"), job_summary(vendor, hostile, tmp_path / vendor / "hostile"), value, f"{writer} in {vendor}'s job summary")


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_text_stays_text_in_every_pull_request_comment(name: str, apis: PullRequestComments) -> None:
    value = HOSTILE[name]
    number = PR
    for vendor in COMMENT_VENDORS:
        benign = pull_request_comment(vendor, _preview(MARKER), f"orders/{MARKER}", apis, number)
        hostile = pull_request_comment(vendor, _preview(value), f"orders/{value}", apis, number)
        marker, body = hostile.split("\n", 1)
        assert re.fullmatch(r"<!-- bundleops-preview orders/[A-Za-z0-9._/-]+ -->", marker), f"{vendor}: the value reached the comment's hidden marker: {marker[:300]}"
        assert_inert(benign.split("\n", 1)[1], body, value, f"the preview comment on {vendor}")


@pytest.mark.parametrize("name", HOSTILE)
def test_the_destructive_change_stays_on_top_and_visible(name: str) -> None:
    value = HOSTILE[name]
    html = PARSER.render(_preview(value))
    top = html.split("<h4>")[0]
    assert "Deletes or recreates" in top and "The deploy is held back" in top and "<table>" in top, html[:2000]
    assert html.count("<strong>Destructive</strong> (recreate)") == 1, html


@pytest.mark.parametrize("name", HOSTILE)
def test_the_bitbucket_report_holds_plain_text(name: str) -> None:
    """Code Insights shows `details` as text: the value stays on its line, invisible characters escaped."""
    value = HOSTILE[name]
    plan = plan_json.parse(json.dumps({"plan_version": 2, "cli_version": "1.13.0", "plan": {f"resources.jobs.{value}": {"action": "delete"}}}), "test plan")
    details = bitbucket_report.report(plan, gate.judge(plan, auto_approve=False), f"bundleops preview: {value}")["details"]
    assert "\n" not in details and not md.INVISIBLE.search(details), details
    assert md.visible(value)[:200] in details or len(details) >= bitbucket_report.DETAILS_CHARS - 1, details
