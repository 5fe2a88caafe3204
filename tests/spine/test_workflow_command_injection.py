"""A branch name or author with a newline and a workflow command, from a crafted event: never run by the CI.

The real console script runs `context`, `context --format json`, `plan` and a refused
`validate --target prod` (its error names the branch) on GitHub and Azure with hostile values,
and `unit` on a project whose failing test prints the branch (a tool's output, relayed).
The log is then read the way each runner reads it (the parsing rules of actions/runner's
ActionCommand and the Azure agent's Command, quoted in bundleops/output/writers.py): every
command the runner would execute must be one bundleops wrote itself.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.context import snapshots
from tests.publish.sample_project import write_project
from tests.support.console import run_bundleops

BRANCH = "feature/x\n::stop-commands::pwned\n  ::add-mask::pwned ##[set-output name=target]prod\n##vso[task.setvariable variable=target]prod"
AUTHOR = "mallory\r::error::pwned ##vso[task.complete result=Succeeded]pwned"
LINE_BREAKS = re.compile(r"\r\n|\r|\n")
GITHUB_COMMANDS = {"add-mask", "add-matcher", "add-path", "debug", "echo", "endgroup", "error", "group", "notice", "remove-matcher", "save-state", "set-env", "set-output", "stop-commands", "warning"}


def github_commands(log: str) -> list[tuple[str, str]]:
    """(command, data) for each line the GitHub runner executes, honouring stop-commands."""
    executed, stopped_by = [], None
    for line in LINE_BREAKS.split(log):
        stripped = line.lstrip()
        if stripped.startswith("::") and "::" in stripped[2:]:
            info, data = stripped[2:].split("::", 1)
        elif "##[" in line and "]" in line[line.index("##["):]:
            info, data = line[line.index("##[") + 3 :].split("]", 1)
        else:
            continue
        name = info.split(" ", 1)[0]
        if stopped_by is not None:
            if name == stopped_by:
                stopped_by = None
            continue
        if name in GITHUB_COMMANDS:
            executed.append((name, data))
            if name == "stop-commands":
                stopped_by = data
    return executed


def azure_commands(log: str) -> list[str]:
    """Each `##vso[area.action ...]` and `##[` the Azure agent acts on (one per line, found anywhere in it)."""
    executed = []
    for line in LINE_BREAKS.split(log):
        for prefix in ("##vso[", "##["):
            at = line.find(prefix)
            if at >= 0:
                assert at == 0, f"a command in the middle of a line: {line!r}"
                executed.append(line[: line.index("]") + 1])
    return executed


def github_event(tmp_path: Path) -> dict[str, str]:
    env = snapshots.environment("github", "pull_request", tmp_path)
    payload = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text())
    payload["pull_request"]["head"]["ref"] = BRANCH
    payload["pull_request"]["user"]["login"] = AUTHOR
    Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps(payload))
    return env | {"GITHUB_OUTPUT": str(tmp_path / "outputs"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}


def azure_event(tmp_path: Path) -> dict[str, str]:
    env = snapshots.environment("azure", "pull_request", tmp_path)
    return env | {"SYSTEM_PULLREQUEST_SOURCEBRANCH": f"refs/heads/{BRANCH}", "BUILD_REQUESTEDFOR": AUTHOR, "BUNDLEOPS_REPORT_DIR": str(tmp_path / "reports")}


def run_all(env: dict[str, str], cwd: Path) -> str:
    log = ""
    for args, code in ((["context"], 0), (["context", "--format", "json"], 0), (["plan", "--outputs"], 0), (["validate", "--target", "prod"], 2)):
        result = run_bundleops(args, env=env, cwd=cwd)
        assert result.returncode == code, (args, result.stdout + result.stderr)
        log += result.stdout + result.stderr
    return log


def test_github_runs_only_the_commands_bundleops_wrote(tmp_path: Path) -> None:
    log = run_all(github_event(tmp_path), tmp_path)
    executed = github_commands(log)
    assert {name for name, _ in executed} <= {"group", "endgroup", "error", "stop-commands"}
    assert [data for name, data in executed if name == "stop-commands"], "the hostile context lines were printed inside stop-commands"
    assert all(data.startswith("bundleops_") for name, data in executed if name == "stop-commands")
    assert not [data for name, data in executed if name != "error" and "pwned" in data]
    # the one error: the prod guard, naming the branch with its newlines escaped
    [(_, error)] = [(n, d) for n, d in executed if n == "error"]
    assert "branch=feature/x%0A::stop-commands::pwned%0A" in error
    assert "::stop-commands::pwned" in log  # still shown, as text
    json_out = run_bundleops(["context", "--format", "json"], env=github_event(tmp_path), cwd=tmp_path).stdout
    assert json.loads(json_out)["branch"] == BRANCH and json.loads(json_out)["author"] == AUTHOR
    assert "\nfeature/x\n" not in (tmp_path / "outputs").read_text()  # outputs go through the heredoc file, not the log


def test_azure_runs_only_the_commands_bundleops_wrote(tmp_path: Path) -> None:
    log = run_all(azure_event(tmp_path), tmp_path)
    executed = azure_commands(log)
    allowed = re.compile(r"##\[(group|endgroup)\]|##vso\[task\.(setvariable variable=(target|steps|requires_approval|deployment|run_\w+|roles|bundles|bundle_count|(dev|staging|prod)_(bundles|matrix));isOutput=true|logissue type=error)\]")
    assert executed and all(allowed.fullmatch(command) for command in executed), executed
    assert "**vso[task.setvariable variable=target]prod" in log and "**vso[task.complete result=Succeeded]pwned" in log
    setvariables = [line for line in log.splitlines() if line.startswith("##vso[task.setvariable variable=target;")]
    assert setvariables == ["##vso[task.setvariable variable=target;isOutput=true]staging"]
    json_out = run_bundleops(["context", "--format", "json"], env=azure_event(tmp_path), cwd=tmp_path).stdout
    assert json.loads(json_out)["branch"] == BRANCH


@pytest.mark.parametrize("vendor", ["github", "azure"])
def test_a_tools_output_is_shown_not_run(tmp_path: Path, vendor: str) -> None:
    project = write_project(tmp_path / "repo")
    (project / "tests/unit/test_branch.py").write_text("import os\n\n\ndef test_branch():\n    print(os.environ['BRANCH_UNDER_TEST'])\n    assert False\n")
    env = (github_event if vendor == "github" else azure_event)(tmp_path) | {"BRANCH_UNDER_TEST": BRANCH}
    result = run_bundleops(["unit"], env=env, cwd=project)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "::add-mask::pwned" in result.stdout or "**vso[task.setvariable variable=target]prod" in result.stdout  # shown
    if vendor == "github":
        executed = github_commands(result.stdout + result.stderr)
        assert {name for name, _ in executed} <= {"group", "endgroup", "error", "stop-commands"}, executed
        assert not [data for name, data in executed if "pwned" in data or name == "stop-commands" and not data.startswith("bundleops_")]
    else:
        assert all(re.fullmatch(r"##\[(group|endgroup)\]|##vso\[task\.logissue type=error\]", c) for c in azure_commands(result.stdout + result.stderr))
