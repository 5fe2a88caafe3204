"""No secret value reaches the output of any command: not in messages, tracebacks or CI commands."""

from __future__ import annotations

import json

import subprocess
import sys
from pathlib import Path

import pytest

from bundleops.cli import COMMANDS
from tests.context import snapshots
from tests.support.console import clean_environment, run_bundleops

SECRET = "dapi-s3cr3t-Zx81-never-print-me"
# Commands that run until stopped or for minutes: only their help is checked here.
LONG_RUNNING = {"demo", "local-workspace"}
PROJECT_SECRET = "project-key-9f8e7d6c"


def planted(tmp_path: Path) -> dict[str, str]:
    """A GitHub pull request whose branch name carries the secret, so any echo of it would leak."""
    env = snapshots.environment("github", "pull_request", tmp_path)
    env.update(
        GITHUB_HEAD_REF=f"feature/{SECRET}",
        DATABRICKS_CLIENT_SECRET=SECRET,
        DATABRICKS_TOKEN=SECRET,
        ARM_CLIENT_SECRET=SECRET,
        SONAR_TOKEN=SECRET,
        MY_API_KEY=PROJECT_SECRET,
        BUNDLEOPS_SECRET_VARIABLES="MY_API_KEY",
        BUNDLEOPS_REPORT_DIR=str(tmp_path / "reports"),
    )
    payload_path = Path(env["GITHUB_EVENT_PATH"])
    payload = json.loads(payload_path.read_text(encoding="utf-8"))
    payload["pull_request"]["head"]["ref"] = f"feature/{SECRET}"  # where bundleops reads the branch first
    payload_path.write_text(json.dumps(payload), encoding="utf-8")
    return env


def command_names() -> list[str]:
    import importlib

    return [importlib.import_module(module).NAME for module in COMMANDS.values()]


@pytest.mark.parametrize("command", command_names())
def test_no_command_prints_a_planted_secret(command: str, tmp_path: Path) -> None:
    (tmp_path / "bundleops.yml").write_text(f"default_branch: main\nsonar:\n  project_key: '{PROJECT_SECRET}'\n")
    env = planted(tmp_path)
    outputs = [run_bundleops([command, "--help"], env=env, cwd=tmp_path)]
    invocations = () if command in LONG_RUNNING else ([command], [command, "--target", "staging"], [command, "--format", "json"])
    for args in invocations:
        outputs.append(run_bundleops(args, env=env, cwd=tmp_path, timeout=60))
    for result in outputs:
        text = result.stdout + result.stderr
        assert SECRET not in text and PROJECT_SECRET not in text
    written = "".join(p.read_text(errors="replace") for p in (tmp_path / "reports").rglob("*") if p.is_file())
    assert SECRET not in written


def test_context_shows_the_branch_with_the_secret_masked(tmp_path: Path) -> None:
    result = run_bundleops(["context"], env=planted(tmp_path), cwd=tmp_path)
    assert result.returncode == 0
    assert "feature/***" in result.stdout and SECRET not in result.stdout


def test_a_crash_traceback_is_redacted(tmp_path: Path) -> None:
    crash = (
        "import os\n"
        "from bundleops.cli import run_guarded\n"
        "def crash():\n"
        "    raise RuntimeError('token was ' + os.environ['DATABRICKS_CLIENT_SECRET'] + ' and ' + os.environ['MY_API_KEY'])\n"
        "raise SystemExit(run_guarded(crash))\n"
    )
    result = subprocess.run([sys.executable, "-c", crash], env=clean_environment(planted(tmp_path)), capture_output=True, text=True, check=False)
    assert result.returncode == 3
    assert "Traceback" in result.stderr and "RuntimeError: token was *** and ***" in result.stderr
    assert SECRET not in result.stderr + result.stdout and PROJECT_SECRET not in result.stderr


def test_a_secret_split_across_writes_is_still_redacted(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from bundleops.output import install_redaction\n"
        "install_redaction()\n"
        "half = len(sys.argv[1]) // 2\n"
        "print('start ' + sys.argv[1][:half], end='', flush=True)\n"
        "sys.stdout.write(sys.argv[1][half:] + ' end\\n')\n"
    )
    # The secret is on argv only in this test, to prove the split case; bundleops never reads argv secrets.
    result = subprocess.run([sys.executable, "-c", code, SECRET], env=clean_environment({"SONAR_TOKEN": SECRET}), capture_output=True, text=True, check=False)
    assert result.stdout == "start *** end\n"


def test_github_masking_command_carries_the_real_value_once(tmp_path: Path) -> None:
    code = (
        "from bundleops.output import install_redaction, current\n"
        "install_redaction()\n"
        "out = current()\n"
        "out.mask('oauth-access-token-123456')\n"
        "print('token is oauth-access-token-123456')\n"
    )
    env = clean_environment({"GITHUB_ACTIONS": "true"})
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert result.stdout.splitlines() == ["::add-mask::oauth-access-token-123456", "token is ***"]


def target_commands() -> list[str]:
    """Every subcommand that takes --target: each one must apply the prod guard."""
    import argparse
    import importlib

    names = []
    for module_name in COMMANDS.values():
        module = importlib.import_module(module_name)
        parser = argparse.ArgumentParser()
        module.add_arguments(parser)
        if any("--target" in action.option_strings for action in parser._actions):
            names.append(module.NAME)
    return names


@pytest.mark.parametrize("command", target_commands())
def test_every_step_refuses_prod_from_a_pull_request(command: str, tmp_path: Path) -> None:
    env = snapshots.environment("github", "pull_request", tmp_path)
    result = run_bundleops([command, "--target", "prod"], env=env, cwd=tmp_path, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "refusing --target prod: prod is never deployed from a pull request" in result.stdout + result.stderr
    assert "event=pull_request" in result.stdout + result.stderr


@pytest.mark.parametrize("command", command_names())
def test_every_command_has_help_with_an_example(command: str, tmp_path: Path) -> None:
    result = run_bundleops([command, "--help"], cwd=tmp_path)
    assert result.returncode == 0
    assert f"usage: bundleops {command}" in result.stdout
    example = result.stdout.split("example:\n", 1)[1].strip()
    assert example.startswith(f"bundleops {command}") or example.startswith("python -m bundleops")


def test_version_and_top_level_help(tmp_path: Path) -> None:
    from bundleops import __version__

    assert run_bundleops(["--version"], cwd=tmp_path).stdout.strip() == f"bundleops {__version__}"
    listing = run_bundleops(["--help"], cwd=tmp_path).stdout
    assert all(name in listing for name in command_names()) and "Exit codes: 0 success" in listing
    bare = run_bundleops([], cwd=tmp_path)
    assert bare.returncode == 2 and "usage: bundleops" in bare.stdout


def test_an_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    result = run_bundleops(["plan", "--fromat", "json"], cwd=tmp_path)
    assert result.returncode == 2 and "unrecognized arguments: --fromat" in result.stderr
