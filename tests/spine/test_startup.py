"""`bundleops context` and `bundleops plan` never import databricks-sdk (seconds on a CI runner)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
