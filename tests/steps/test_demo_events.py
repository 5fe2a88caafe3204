"""`bundleops demo --ci X`: each CI's events make `bundleops plan` see what that CI's job would see,
and the steps' log commands reach a terminal as headings and plain lines (no workspace needed)."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from bundleops.demo import pipeline
from bundleops.demo.ci_events import SYSTEMS, fill
from bundleops.demo.terminal import TerminalLog
from bundleops.output.writers import WRITERS
from tests.support.console import run_bundleops

SHA = "0123456789abcdef0123456789abcdef01234567"
WORDS = {"github": "pull request #1", "gitlab": "merge request !1", "azure": "pull request #1", "jenkins": "pull request #1", "bitbucket": "pull request #1"}


def _plan(event: pipeline.Event, tmp_path: Path) -> dict:
    """`bundleops plan --format json` as a process, with the event's variables (and payload file) as the demo gives them."""
    env = dict(event.variables)
    if event.payload is not None:
        (tmp_path / "event.json").write_text(json.dumps(event.payload), encoding="utf-8")
        env[str(event.ci.payload_variable)] = str(tmp_path / "event.json")
    result = run_bundleops(["plan", "--format", "json", "--project-root", str(tmp_path)], env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("ci", sorted(SYSTEMS))
def test_each_ci_events_plan_the_same_pipelines(ci: str, tmp_path: Path) -> None:
    system = SYSTEMS[ci]
    opened = pipeline.pull_request(system, SHA, number=1, run=1)
    assert opened.title == f"{WORDS[ci]} feature/daily-revenue -> main"
    plan = _plan(opened, tmp_path)
    assert (plan["target"], plan["deployment"], plan["steps"]) == ("staging", "pr-1", ["unit", "validate", "preview", "deploy", "test", "publish"])
    assert f"vendor={ci} event=pull_request branch=feature/daily-revenue target_branch=main default_branch=main pr_number=1" in plan["reason"]
    pushed = _plan(pipeline.default_branch_push(system, SHA, run=4), tmp_path)
    assert (pushed["target"], pushed["requires_approval"], pushed["reason"]) == ("prod", True, f"rule 'default-branch': vendor={ci} event=push branch=main default_branch=main")


@pytest.mark.parametrize("ci", sorted(SYSTEMS))
def test_a_merged_pull_request_is_destroyed_where_the_ci_says_so_and_swept_elsewhere(ci: str, tmp_path: Path) -> None:
    system = SYSTEMS[ci]
    if system.closed is None:  # Azure, Jenkins, Bitbucket run nothing on a close: the scheduled sweep pipeline
        swept = pipeline.scheduled_sweep(system, SHA, run=3)
        assert swept.commands == (tuple(pipeline.SWEEP),) and swept.title.startswith("scheduled sweep (")
        assert _plan(swept, tmp_path)["reason"].startswith(f"rule 'default-branch': vendor={ci} event=push") or ci == "azure"
        return
    closed = pipeline.pull_request(system, SHA, number=1, run=3, closed=True)
    plan = _plan(closed, tmp_path)
    assert (plan["target"], plan["deployment"], plan["steps"]) == ("staging", "pr-1", ["destroy"])
    assert "pull_request_state=closed" in plan["reason"]


def test_a_branch_name_is_data_not_a_template() -> None:
    assert fill({"ref": "refs/heads/{branch}", "number": "{number}"}, {"branch": "x/{sha}-{0}", "number": 7}) == {"ref": "refs/heads/x/{sha}-{0}", "number": 7}


def _written(vendor: str) -> list[str]:
    """What a step prints on `vendor`: a group, a line, a secret to mask, a warning with a place, text that looks like a command."""
    writer = WRITERS[vendor]({})
    out = io.StringIO()
    with redirect_stdout(out):
        with writer.group("bundleops deploy --target staging"):
            writer.info("deploying")
            writer.mask("s3cr3t-token-value-0123")
            writer.info("::warning::not a command, a branch name")
        writer.warning("a 50% change", file="src/a.py", line=3)
    return out.getvalue().rstrip("\n").split("\n")  # as the demo reads a step's output: newlines only


@pytest.mark.parametrize("vendor", ["github", "gitlab", "azure", "jenkins", "bitbucket"])
def test_a_step_log_reads_as_plain_text_on_a_terminal(vendor: str) -> None:
    log = TerminalLog(vendor)
    text = "\n".join(line for line in map(log.line, _written(vendor)) if line is not None)
    shown = "\n== bundleops deploy --target staging\ndeploying\n::warning::not a command, a branch name"
    # GitHub and Azure annotate on stdout; the others print the warning to stderr, as it stays.
    assert text in (shown, shown + "\nWARNING: src/a.py:3: a 50% change")
    assert not re.search(r"\x1b|section_(start|end)|::group::|##\[|##vso\[|::add-mask::|stop-commands", text)
    assert "s3cr3t-token-value-0123" not in text


def test_the_demo_prints_through_the_writer_of_where_it_runs(capsys: pytest.CaptureFixture[str]) -> None:
    pipeline.say("line one\nline two", "#1")
    assert capsys.readouterr().out == "[#1] line one\n[#1] line two\n"
