"""CI-native output: the same calls produce each vendor's own logging commands and files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bundleops.output.writers import current


def test_github_commands_outputs_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs, summary = tmp_path / "out", tmp_path / "summary.md"
    out = current({"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)})
    with out.group("bundleops deploy"):
        out.error("test failed: 50% of rows\nmissing", file="src/a.py", line=12, title="orders, daily")
        out.warning("lock is old")
    out.set_output("target", "staging")
    out.set_output("note", "two\nlines")
    out.summary("## Deployed")
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "::group::bundleops deploy",
        "::error file=src/a.py,line=12,title=orders%2C daily::test failed: 50%25 of rows%0Amissing",
        "::warning::lock is old",
        "::endgroup::",
    ]
    text = outputs.read_text()
    assert text.startswith("target<<bundleops_") and "\nstaging\n" in text and "\ntwo\nlines\n" in text
    assert summary.read_text() == "## Deployed\n\n"


def test_azure_logging_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = current({"TF_BUILD": "True", "BUNDLEOPS_REPORT_DIR": str(tmp_path)})
    with out.group("validate"):
        out.error("bad; value]", file="resources/job;1.yml", line=3)
    out.set_output("run_deploy", "true")
    out.summary("## Summary")
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "##[group]validate",
        "##vso[task.logissue type=error;sourcepath=resources/job%3B1.yml;linenumber=3]bad; value]",
        "##[endgroup]",
        "##vso[task.setvariable variable=run_deploy;isOutput=true]true",
    ]
    assert lines[4] == f"##vso[task.uploadsummary]{(tmp_path / 'bundleops-summary.md').resolve()}"
    assert (tmp_path / "bundleops-summary.md").read_text() == "## Summary\n\n"


def test_gitlab_sections_and_dotenv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = current({"GITLAB_CI": "true", "BUNDLEOPS_REPORT_DIR": str(tmp_path)})
    with out.group("bundleops test"):
        out.info("running")
    out.set_output("target", "prod")
    text = capsys.readouterr().out
    assert "\x1b[0Ksection_start:" in text and "[collapsed=true]\r\x1b[0Kbundleops test" in text
    assert "\x1b[0Ksection_end:" in text
    start = text.split("section_start:")[1].split("[collapsed")[0].split(":", 1)[1]
    assert f"section_end:{text.split('section_end:')[1].split(':', 1)[0]}:{start}" in text
    assert (tmp_path / "bundleops.env").read_text() == "target=prod\n"


@pytest.mark.parametrize("marker", [{"JENKINS_URL": "https://ci/"}, {"BITBUCKET_BUILD_NUMBER": "1"}, {}])
def test_plain_text_elsewhere(marker: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = current(marker | {"BUNDLEOPS_REPORT_DIR": str(tmp_path)})
    with out.group("bundleops validate"):
        out.error("missing run_as", file="databricks.yml", line=7)
    captured = capsys.readouterr()
    assert captured.out == "\n== bundleops validate\n"
    assert captured.err == "ERROR: databricks.yml:7: missing run_as\n"
    out.summary("## Done")
    assert (tmp_path / "bundleops-summary.md").read_text() == "## Done\n\n"


def test_output_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="step output name"):
        current({"BUNDLEOPS_REPORT_DIR": str(tmp_path)}).set_output("bad name", "x")


@pytest.mark.parametrize("text", ["branch\n::stop-commands::x", "branch\r\u00a0::set-output name=a::b", "feature ##[add-mask]x", "::warning::at the start"])
def test_github_prints_text_that_would_parse_between_stop_commands(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    current({"GITHUB_ACTIONS": "true"}).info(text)
    first, *body, last = capsys.readouterr().out.rstrip("\n").split("\n")
    token = first.removeprefix("::stop-commands::")
    assert token.startswith("bundleops_") and len(token) == len("bundleops_") + 32
    assert "\n".join(body) == text and last == f"::{token}::"


def test_github_prints_ordinary_text_as_it_is(capsys: pytest.CaptureFixture[str]) -> None:
    current({"GITHUB_ACTIONS": "true"}).info("feature/a::b has 2 lines\n  and a colon: here")
    assert capsys.readouterr().out == "feature/a::b has 2 lines\n  and a colon: here\n"


def test_azure_makes_commands_anywhere_inert(capsys: pytest.CaptureFixture[str]) -> None:
    current({"TF_BUILD": "True"}).info("author Mallory ##VSO[task.complete result=Failed]x\n##[error]y")
    assert capsys.readouterr().out == "author Mallory **VSO[task.complete result=Failed]x\n**[error]y\n"
