"""`bundleops context` and `bundleops plan` never import databricks-sdk (seconds on a CI runner);
a step imports its own command's module and no other command's."""

from __future__ import annotations

import contextlib
import importlib
import io
import subprocess
import sys
from pathlib import Path

import pytest

from bundleops.cli import COMMANDS, build_parser
from tests.support.console import clean_environment

HEAVY = ("databricks", "pyspark", "junitparser", "requests", "coverage", "pytest")


@pytest.mark.parametrize("command", ["context", "plan"])
def test_light_commands_import_nothing_heavy(command: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bundleops", command],
        env=clean_environment(),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert {"bundleops.cli", "bundleops.step"} <= imported
    heavy = sorted(name for name in imported if name.split(".")[0] in HEAVY)
    assert heavy == []


@pytest.mark.parametrize("command", ["context", "plan"])
def test_no_heavy_module_is_loaded_after_the_command_ran(command: str, tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from bundleops.cli import main\n"
        f"code = main([{command!r}])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in sys.argv[1:])\n"
        "print('LOADED', loaded, code)\n"
    )
    result = subprocess.run([sys.executable, "-c", code, *HEAVY], env=clean_environment(), cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.stdout.splitlines()[-1] == "LOADED [] 0"


def test_each_command_is_listed_under_its_own_name() -> None:
    assert {name: importlib.import_module(module).NAME for name, module in COMMANDS.items()} == {name: name for name in COMMANDS}


def test_a_step_imports_no_other_commands_module(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from bundleops.cli import COMMANDS, main\n"
        "code = main(['validate', '--help'])\n"
        "print('LOADED', sorted(set(COMMANDS.values()) & set(sys.modules)), code)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=clean_environment(), cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.stdout.splitlines()[-1] == "LOADED ['bundleops.validate.command'] 0", result.stderr


def _parsed(parser_argv: list[str] | tuple[()], argv: list[str]) -> tuple[object, str, str]:
    """What parsing `argv` gives (its namespace, or how it exited) and prints, with the parser built for `parser_argv`."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            outcome: object = vars(build_parser(parser_argv).parse_args(argv))
        except SystemExit as exit_:
            outcome = ("exit", exit_.code)
    return outcome, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("argv", [["validate", "--target", "staging"], ["plan", "--format", "json"], ["deploy", "--help"], ["preview", "--no-such-flag"],
                                  ["test", "--target", "staging", "--version"], ["validat"], ["--version"], ["--help"], []], ids=repr)
def test_a_command_parses_as_with_every_command_loaded(argv: list[str]) -> None:
    assert _parsed(argv, argv) == _parsed((), argv)
